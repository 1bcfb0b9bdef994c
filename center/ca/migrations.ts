/** Schema of the CA side. Versions only ever grow; an applied version is never edited. */
export const caMigrations: { version: number; sql: string[] }[] = [
  {
    version: 1,
    sql: [
      `CREATE TABLE ca_certs (
        serial_hex TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        cert_type TEXT NOT NULL CHECK (cert_type IN ('limited','general')),
        status TEXT NOT NULL CHECK (status IN ('pending','active','revoked','expired')),
        subject TEXT NOT NULL,
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        cert_der BLOB NOT NULL,
        cert_hash_sha256 TEXT NOT NULL,
        transaction_id TEXT,
        purpose TEXT NOT NULL,
        replaces_serial TEXT,
        created_at INTEGER NOT NULL,
        confirmed_at INTEGER,
        revoked_at INTEGER,
        revocation_reason INTEGER
      )`,
      `CREATE INDEX ca_certs_customer ON ca_certs(customer_id, cert_type, status)`,
      `CREATE INDEX ca_certs_tx ON ca_certs(transaction_id)`,
      // One row per CMP transaction; the primary key makes a replayed transactionID fail.
      `CREATE TABLE cmp_transactions (
        transaction_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        reference TEXT,
        signer_serial TEXT,
        serial_hex TEXT,
        cert_req_id INTEGER,
        last_nonce TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      // Every senderNonce we ever accepted; a repeat is a replay.
      `CREATE TABLE cmp_nonces (
        nonce TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
      )`,
      `CREATE TABLE ca_crl (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        crl_number INTEGER NOT NULL,
        crl_der BLOB NOT NULL,
        this_update INTEGER NOT NULL
      )`,
    ],
  },
  {
    // The sweep for certificates not confirmed by the deadline (CmpService.expireUnconfirmed).
    version: 2,
    sql: [`CREATE INDEX IF NOT EXISTS cmp_transactions_waiting ON cmp_transactions (state, updated_at)`],
  },
  {
    version: 3,
    sql: [
      // Which CA this database belongs to (the SHA-256 of its certificate): a node started with
      // another node's database but a data directory of its own would otherwise issue under a
      // second CA key.
      `CREATE TABLE ca_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      )`,
    ],
  },
  {
    version: 4,
    sql: [
      // One valid certificate per customer and type, kept by the database itself: issuance
      // batches of several nodes run side by side on PostgreSQL (no center-wide lock), and of two
      // that activate a certificate for the same customer and type at once, the second fails
      // here and is run again, superseding the first (Ca.issue).
      `CREATE UNIQUE INDEX IF NOT EXISTS ca_certs_one_active ON ca_certs (customer_id, cert_type) WHERE status = 'active'`,
    ],
  },
]
