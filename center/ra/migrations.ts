/**
 * The RA's schema. Applied in order by the center's migration runner (center/db.ts), which
 * records the highest applied `version` for the RA. Never edit a released step; add one.
 * Times are integer milliseconds since the Unix epoch. Columns ending in `_sealed` hold
 * AES-GCM sealed values (center/ra/secrets.ts); `_mac` columns hold keyed fingerprints.
 */
export const raMigrations: { version: number; sql: string[] }[] = [
  {
    version: 1,
    sql: [
      `CREATE TABLE IF NOT EXISTS ra_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ra_customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        idn_sealed TEXT NOT NULL,
        idn_mac TEXT NOT NULL UNIQUE,
        phone TEXT NOT NULL,
        bank_code TEXT NOT NULL,
        medium TEXT NOT NULL CHECK (medium IN ('card', 'otp')),
        identity_failures INTEGER NOT NULL DEFAULT 0,
        identity_locked_at INTEGER,
        created_at INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ra_accounts (
        number TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES ra_customers(id),
        balance_krw INTEGER NOT NULL CHECK (balance_krw >= 0),
        created_at INTEGER NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS ra_accounts_customer ON ra_accounts(customer_id)`,
      `CREATE TABLE IF NOT EXISTS ra_ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL REFERENCES ra_accounts(number),
        customer_id TEXT NOT NULL,
        amount_krw INTEGER NOT NULL,
        balance_after_krw INTEGER NOT NULL,
        memo TEXT NOT NULL,
        at INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ra_media (
        customer_id TEXT PRIMARY KEY REFERENCES ra_customers(id),
        kind TEXT NOT NULL CHECK (kind IN ('card', 'otp')),
        secret_sealed TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_at INTEGER,
        otp_last_step INTEGER,
        created_at INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ra_sessions (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES ra_customers(id),
        purpose TEXT NOT NULL,
        serial_hex TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        locked_at INTEGER,
        phone_code_mac TEXT,
        phone_code_expires_at INTEGER,
        phone_sends INTEGER NOT NULL DEFAULT 0,
        phone_failures INTEGER NOT NULL DEFAULT 0,
        phone_verified INTEGER NOT NULL DEFAULT 0,
        medium_challenge TEXT,
        medium_verified INTEGER NOT NULL DEFAULT 0,
        register_challenge TEXT,
        register_challenge_expires_at INTEGER,
        register_attempts INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE IF NOT EXISTS ra_enrollments (
        reference TEXT PRIMARY KEY,
        auth_code_sealed TEXT NOT NULL,
        customer_id TEXT NOT NULL REFERENCES ra_customers(id),
        cert_type TEXT NOT NULL CHECK (cert_type IN ('limited', 'general')),
        purpose TEXT NOT NULL CHECK (purpose IN ('issue', 'reissue')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_at INTEGER,
        revoked_at INTEGER
      )`,
      `CREATE INDEX IF NOT EXISTS ra_enrollments_customer ON ra_enrollments(customer_id, cert_type)`,
      `CREATE TABLE IF NOT EXISTS ra_renewals (
        serial_hex TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES ra_customers(id),
        authorized_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      )`,
      `CREATE TABLE IF NOT EXISTS foreign_certs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        customer_id TEXT NOT NULL REFERENCES ra_customers(id),
        issuer TEXT NOT NULL,
        serial_hex TEXT NOT NULL,
        subject TEXT NOT NULL,
        not_after INTEGER NOT NULL,
        cert_der BLOB NOT NULL,
        registered_at INTEGER NOT NULL,
        UNIQUE (issuer, serial_hex)
      )`,
      `CREATE TABLE IF NOT EXISTS ra_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('sms', 'ars')),
        text TEXT NOT NULL
      )`,
      // Shared audit trail: who tried what, and how it went. Never secrets (no codes,
      // resident numbers, account numbers, card digits).
      `CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        customer_id TEXT,
        session_id TEXT,
        detail TEXT
      )`,
      `CREATE INDEX IF NOT EXISTS audit_customer ON audit(customer_id, at)`,
    ],
  },
  {
    // Failed guesses per network source (center/source-throttle.ts): a stranger is slowed down
    // instead of locking the customer whose account number they typed.
    version: 2,
    sql: [
      `CREATE TABLE IF NOT EXISTS ra_source_failures (
        scope TEXT NOT NULL,
        source TEXT NOT NULL,
        failures INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        blocked_until INTEGER NOT NULL,
        PRIMARY KEY (scope, source)
      )`,
    ],
  },
  {
    // Other CAs whose certificates customers may register (타기관 인증서 등록), kept by the operator.
    version: 3,
    sql: [
      `CREATE TABLE IF NOT EXISTS ra_trusted_cas (
        fingerprint TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        not_after INTEGER NOT NULL,
        cert_der BLOB NOT NULL,
        added_at INTEGER NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS ra_trusted_cas_subject ON ra_trusted_cas (subject)`,
    ],
  },
]
