import { createHash, createPublicKey, randomBytes, randomInt, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Client, InStatement, Transaction } from '@libsql/client'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  CRLNumber,
  CRLReason,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  OtherName,
  PolicyInformation,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509'
import { buildIdentifyDataSan } from '../../core/formats/vid'
import { CertError } from '../../shared/errors'
import type { CenterConfig } from '../config'
import { ab, toHex, u8 } from '../../shared/der/bytes'
import { OID } from '../../shared/der/oids'
import { inside, readRoot, type Tlv } from '../../shared/der/reader'
import * as der from '../../shared/der/writer'
import type { GuardedStatement } from '../batch-guard'
import type { CaFacade, CertStatus, CertType, RevocationReason } from './facade'
import { createOnce, loadOrCreateCaKey } from './keystore'
import { Mutex } from './mutex'

export const CA_CERT_FILE = 'ca.crt'

const DAY_MS = 86_400_000
/** CRLs are republished on every revocation; nextUpdate only bounds how stale a cached copy may be. */
const CRL_NEXT_UPDATE_MS = 7 * DAY_MS

export type IssuePurpose = 'issue' | 'reissue' | 'renew'

export interface IssueRequest {
  customerId: string
  certType: CertType
  purpose: IssuePurpose
  /** DER SubjectPublicKeyInfo of the requester's new key. */
  spkiDer: Uint8Array
  /** Customer record used for the NPKI DN and the identifyData SAN. */
  customer: { name: string; idn: string; bankCode: string }
  /** 20-byte randomNum sent by the client; without it no VID can be verified, so none is put in. */
  randomNum?: Uint8Array
  /** For renewals: the old certificate, whose subject is kept and whose validity is followed on. */
  renewOf?: { certDer: Uint8Array; serialHex: string }
  transactionId: string
}

export interface CertRow {
  serialHex: string
  customerId: string
  certType: CertType
  status: CertStatus
  notBefore: number
  notAfter: number
  certDer: Uint8Array
  purpose: string
  replacesSerial: string | null
  transactionId: string | null
}

function rdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })])
}

const utf8 = (s: string) => new AttributeValue({ utf8String: s })
const printable = (s: string) => new AttributeValue({ printableString: s })

function ext(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })
}

/** Renders a Name most-specific first, the way NPKI folders and users spell it. */
export function nameToString(name: Name): string {
  const label: Record<string, string> = { [OID.cn]: 'CN', [OID.ou]: 'OU', [OID.o]: 'O', [OID.c]: 'C' }
  return [...name]
    .reverse()
    .flatMap((r) => [...r].map((a) => `${label[a.type] ?? a.type}=${a.value.toString()}`))
    .join(', ')
}

/** 16 random bytes, positive and always 16 bytes long once DER-encoded. */
function newSerial(): Uint8Array {
  const b = new Uint8Array(randomBytes(16))
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40
  return b
}

function keyIdOf(spki: SubjectPublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest())
}

/** SHA-1 of the subjectPublicKey bits of a DER SubjectPublicKeyInfo (RFC 5280 4.2.1.2 method 1). */
function keyIdOfSpkiDer(spkiDer: Uint8Array): Uint8Array {
  let bits: Tlv | undefined
  try {
    const c = inside(readRoot(spkiDer, 0x30))
    c.next(0x30)
    bits = c.next(0x03)
    c.finish()
  } catch {
    bits = undefined
  }
  if (!bits || bits.end - bits.start < 2) throw new CertError('BAD_REQUEST', 'malformed SubjectPublicKeyInfo')
  return new Uint8Array(createHash('sha1').update(spkiDer.subarray(bits.start + 1, bits.end)).digest())
}

const extDer = (e: Extension): Uint8Array => u8(AsnConvert.serialize(e))

/** The subjectKeyIdentifier extension (not critical) for a key id, encoded directly: it is new in every certificate. */
export function subjectKeyIdentifierDer(keyId: Uint8Array): Uint8Array {
  return der.sequence(der.oid(id_ce_subjectKeyIdentifier), der.tlv(0x04, der.tlv(0x04, keyId)))
}

/**
 * DER of a Name whose attributes are UTF8String or PrintableString, one per RDN (every Name
 * this CA writes); anything else goes through the schema encoder. Encoding the subject by
 * hand saves the schema encoder's cost on every issuance.
 */
export function nameDer(name: Name): Uint8Array {
  const rdns: Uint8Array[] = []
  for (const r of name) {
    const a = r.length === 1 ? r[0] : undefined
    const text = a?.value.utf8String ?? a?.value.printableString
    if (!a || text === undefined) return u8(AsnConvert.serialize(name))
    const tag = a.value.utf8String !== undefined ? 0x0c : 0x13
    rdns.push(der.tlv(0x31, der.sequence(der.oid(a.type), der.tlv(tag, new TextEncoder().encode(text)))))
  }
  return der.sequence(...rdns)
}

/** [0] EXPLICIT INTEGER 2 (v3). */
const V3_DER = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02)

function rowOf(r: Record<string, unknown>): CertRow {
  return {
    serialHex: String(r.serial_hex),
    customerId: String(r.customer_id),
    certType: r.cert_type as CertType,
    status: r.status as CertStatus,
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
    certDer: u8(r.cert_der as ArrayBuffer),
    purpose: String(r.purpose),
    replacesSerial: r.replaces_serial == null ? null : String(r.replaces_serial),
    transactionId: r.transaction_id == null ? null : String(r.transaction_id),
  }
}

/**
 * The CA: key, self-signed certificate, end-entity issuance and the CRL. Certificates are stored
 * 'pending' when issued and become 'active' only through `confirm` (certConf or implicitConfirm),
 * so a certificate whose delivery was never confirmed is never treated as valid.
 */
export class Ca implements CaFacade {
  private readonly lock = new Mutex()

  private constructor(
    readonly db: Client,
    readonly config: CenterConfig,
    private readonly key: KeyObject,
    readonly publicKey: KeyObject,
    private readonly certDer: Uint8Array,
    readonly cert: Certificate,
  ) {}

  static async open(db: Client, dataDir: string, config: CenterConfig): Promise<Ca> {
    const { key } = loadOrCreateCaKey(dataDir, config.caKeyAlg)
    const publicKey = createPublicKey(key)
    const certPath = join(dataDir, CA_CERT_FILE)
    let certDer: Uint8Array
    if (existsSync(certPath)) {
      certDer = new Uint8Array(readFileSync(certPath))
    } else {
      // A process starting at the same moment may have placed its certificate first: then that one is the CA's.
      certDer = new Uint8Array(createOnce(certPath, Ca.selfSign(key, publicKey, config)).content)
    }
    const cert = AsnConvert.parse(certDer, Certificate)
    const spkiDer = u8(publicKey.export({ type: 'spki', format: 'der' }))
    if (toHex(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)) !== toHex(spkiDer)) {
      throw new CertError('KEY_MISMATCH', 'the CA certificate does not belong to the CA key')
    }
    await Ca.claimDatabase(db, certDer)
    const ca = new Ca(db, config, key, publicKey, certDer, cert)
    await ca.ensureCrl()
    return ca
  }

  /**
   * The first CA to open a database records its certificate there; any other is refused. Nodes
   * of one center share the database, so each needs a copy of the first node's data directory,
   * not keys of its own.
   */
  private static async claimDatabase(db: Client, certDer: Uint8Array): Promise<void> {
    const fingerprint = createHash('sha256').update(certDer).digest('hex')
    await db.execute({ sql: "INSERT INTO ca_meta (key, value) VALUES ('ca_cert_sha256', ?) ON CONFLICT (key) DO NOTHING", args: [fingerprint] })
    const rs = await db.execute("SELECT value FROM ca_meta WHERE key = 'ca_cert_sha256'")
    if (String(rs.rows[0]?.value) !== fingerprint) {
      throw new CertError('KEY_MISMATCH', "the database belongs to another CA than this data directory's key and certificate (copy the first node's data directory)")
    }
  }

  private static sigAlg(key: KeyObject): AlgorithmIdentifier {
    return key.asymmetricKeyType === 'rsa'
      ? new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption, parameters: null })
      : new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSHA256 })
  }

  private static signDer(key: KeyObject, tbsDer: Uint8Array): Uint8Array {
    return new Uint8Array(cryptoSign('sha256', tbsDer, key))
  }

  private static assemble(key: KeyObject, tbs: TBSCertificate | TBSCertList): Uint8Array {
    const tbsDer = u8(AsnConvert.serialize(tbs))
    const sig = Ca.signDer(key, tbsDer)
    return der.sequence(tbsDer, u8(AsnConvert.serialize(Ca.sigAlg(key))), der.bitString(sig))
  }

  private static caName(config: CenterConfig): Name {
    return new Name([rdn(OID.c, printable(config.caName.c)), rdn(OID.o, utf8(config.caName.o)), rdn(OID.cn, utf8(config.caName.cn))])
  }

  private static selfSign(key: KeyObject, publicKey: KeyObject, config: CenterConfig): Uint8Array {
    const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo)
    const name = Ca.caName(config)
    const now = Date.now()
    const kid = keyIdOf(spki)
    const tbs = new TBSCertificate({
      version: Version.v3,
      serialNumber: ab(newSerial()),
      signature: Ca.sigAlg(key),
      issuer: name,
      validity: new Validity({ notBefore: new Date(now - 60_000), notAfter: new Date(now + config.caValidityDays * DAY_MS) }),
      subject: name,
      subjectPublicKeyInfo: spki,
      extensions: new Extensions([
        ext(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
        ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature)),
        ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(kid)),
      ]),
    })
    return Ca.assemble(key, tbs)
  }

  private fixed: { sigAlgDer: Uint8Array; issuerDer: Uint8Array; akiDer: Uint8Array; keyUsageDer: Uint8Array; policyDer: Record<CertType, Uint8Array> } | undefined

  /** The parts of every end-entity certificate that depend on the CA and config only. */
  private fixedParts(): NonNullable<Ca['fixed']> {
    if (this.fixed) return this.fixed
    const policy = (oid: string) => extDer(ext(id_ce_certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: oid })])))
    this.fixed = {
      sigAlgDer: u8(AsnConvert.serialize(Ca.sigAlg(this.key))),
      issuerDer: u8(AsnConvert.serialize(this.name)),
      akiDer: extDer(ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdOf(this.cert.tbsCertificate.subjectPublicKeyInfo)) }))),
      keyUsageDer: extDer(ext(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation))),
      policyDer: { limited: policy(this.config.policyOids.limited), general: policy(this.config.policyOids.general) },
    }
    return this.fixed
  }

  caCertDer(): Uint8Array {
    return this.certDer
  }

  /** Subject DN of the CA certificate (the CMP `sender` of our responses). */
  get name(): Name {
    return this.cert.tbsCertificate.subject
  }

  get signatureAlgorithm(): AlgorithmIdentifier {
    return Ca.sigAlg(this.key)
  }

  /** Signs with the CA key (CMP response protection). */
  sign(data: Uint8Array): Uint8Array {
    return Ca.signDer(this.key, data)
  }

  /** True when `certDer` carries a valid signature by this CA's key. */
  verifyIssued(certDer: Uint8Array): boolean {
    try {
      const c = AsnConvert.parse(certDer, Certificate)
      const tbs = c.tbsCertificateRaw ? u8(c.tbsCertificateRaw) : u8(AsnConvert.serialize(c.tbsCertificate))
      return cryptoVerify('sha256', tbs, this.publicKey, u8(c.signatureValue))
    } catch {
      return false
    }
  }

  private static npkiCnSuffix(): string {
    let s = ''
    for (let i = 0; i < 16; i++) s += String(randomInt(10))
    return s
  }

  /**
   * Issues a certificate and stores it as 'pending'; the caller confirms it with `confirm`, or
   * passes `confirm: true` (implicitConfirm) to store it active at once. `before` and `alsoRun`
   * (for the new serial) give statements that commit in the same batch as the certificate, before
   * and after it; guarded ones among them (center/batch-guard.ts) undo the whole issuance when
   * they fail, and `issue` throws their BatchGuardError. With `firstOfType` the certificate is
   * stored only when the customer has no valid one of its type (guard 'active-cert'), checked in
   * the same commit.
   */
  async issue(
    req: IssueRequest,
    opts: { confirm?: boolean; before?: InStatement[]; alsoRun?: (serialHex: string) => InStatement[]; firstOfType?: boolean } = {},
  ): Promise<{ serialHex: string; certDer: Uint8Array; notAfter: Date }> {
    const now = Date.now()
    let subject: Name
    let notAfter: number
    let oldExtensions: Extensions | undefined
    if (req.renewOf) {
      const old = AsnConvert.parse(ab(req.renewOf.certDer), Certificate).tbsCertificate
      subject = old.subject
      oldExtensions = old.extensions
      notAfter = old.validity.notAfter.getTime().getTime() + this.config.validityDays * DAY_MS
    } else {
      const c = req.customer
      subject = new Name([
        rdn(OID.c, printable('KR')),
        rdn(OID.o, utf8(this.config.caName.o)),
        rdn(OID.ou, utf8('personal4IB')),
        rdn(OID.ou, utf8(c.bankCode)),
        rdn(OID.cn, utf8(`${c.name}()${Ca.npkiCnSuffix()}`)),
      ])
      notAfter = now + this.config.validityDays * DAY_MS
    }
    const notBefore = now - 60_000
    const serial = newSerial()
    const serialHex = toHex(serial)
    const fixed = this.fixedParts()
    const extDers: Uint8Array[] = [
      fixed.akiDer,
      subjectKeyIdentifierDer(keyIdOfSpkiDer(req.spkiDer)),
      fixed.keyUsageDer,
      fixed.policyDer[req.certType],
    ]
    if (req.randomNum) {
      const value = buildIdentifyDataSan(req.customer.name, req.customer.idn, req.randomNum)
      extDers.push(extDer(ext(id_ce_subjectAltName, false, new SubjectAlternativeName([new GeneralName({ otherName: new OtherName({ typeId: OID.identifyData, value: ab(value) }) })]))))
    } else {
      // A renewal without a new randomNum keeps the old binding; the key file keeps its randomNum.
      const oldSan = oldExtensions?.find((e) => e.extnID === id_ce_subjectAltName)
      if (oldSan) extDers.push(extDer(oldSan))
    }
    // TBSCertificate assembled from DER parts: the fixed ones are encoded once per CA, and the
    // requester's SubjectPublicKeyInfo (already DER, its POPO verified) goes in verbatim.
    const tbsDer = der.sequence(
      V3_DER,
      der.tlv(0x02, serial),
      fixed.sigAlgDer,
      fixed.issuerDer,
      der.sequence(der.time(notBefore), der.time(notAfter)),
      nameDer(subject),
      req.spkiDer,
      der.tlv(0xa3, der.sequence(...extDers)),
    )
    const certDer = der.sequence(tbsDer, fixed.sigAlgDer, der.bitString(Ca.signDer(this.key, tbsDer)))
    const columns = `INSERT INTO ca_certs (serial_hex, customer_id, cert_type, status, subject, not_before, not_after, cert_der, cert_hash_sha256,
              transaction_id, purpose, replaces_serial, created_at)`
    const values = [
      serialHex,
      req.customerId,
      req.certType,
      nameToString(subject),
      notBefore,
      notAfter,
      certDer,
      createHash('sha256').update(certDer).digest('hex'),
      req.transactionId,
      req.purpose,
      req.renewOf?.serialHex ?? null,
      now,
    ]
    const insert: InStatement | GuardedStatement = opts.firstOfType
      ? {
          sql: `${columns} SELECT ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?
                WHERE NOT EXISTS (SELECT 1 FROM ca_certs WHERE customer_id = ? AND cert_type = ? AND status = 'active' AND not_after > ?)`,
          args: [...values, req.customerId, req.certType, now],
          guard: 'active-cert',
        }
      : { sql: `${columns} VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args: values }
    const before = opts.before ?? []
    if (!opts.confirm && !opts.alsoRun && before.length === 0 && !opts.firstOfType) {
      await this.db.execute(insert)
    } else {
      // One batch (one round trip on PostgreSQL, and no center-wide lock: the rule "one valid
      // certificate per customer and type" is the unique index ca_certs_one_active): a crash
      // leaves either nothing or the whole issuance and the caller's bookkeeping.
      const stmts: InStatement[] = [...before, insert]
      if (opts.confirm) stmts.push(...Ca.confirmStatements(serialHex, req.customerId, req.certType, Date.now()))
      stmts.push(...(opts.alsoRun?.(serialHex) ?? []))
      const rs = await Ca.retryOneActive(() => this.db.batch(stmts, 'deferred'))
      // A certificate it superseded (a reissue) goes on the CRL at once; every start rebuilds the CRL as well.
      if (opts.confirm && (rs[before.length + 1]?.rowsAffected ?? 0) > 0) await this.writeTx(async () => true)
    }
    return { serialHex, certDer, notAfter: new Date(notAfter) }
  }

  /**
   * Runs `work` again when it lost the race for ca_certs_one_active: another node activated a
   * certificate of the same customer and type at the same moment. Its transaction was undone
   * whole, and the next run sees the other certificate and supersedes it, as if the two had come
   * one after the other. (SQLite has one writer; only PostgreSQL's concurrent batches get here.)
   */
  private static async retryOneActive<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work()
      } catch (err) {
        const e = err as { code?: unknown; constraint?: unknown }
        if (attempt >= 5 || e.code !== '23505' || e.constraint !== 'ca_certs_one_active') throw err
      }
    }
  }

  /**
   * Makes a pending certificate active. Any other valid certificate of the same customer and type
   * is revoked as superseded in the same transaction (reissue and renewal replace the old one).
   */
  async confirm(serialHex: string): Promise<void> {
    await this.writeTx(async (tx) => {
      const row = await Ca.rowIn(tx, serialHex)
      if (!row) throw new CertError('NOT_FOUND', 'no such certificate')
      if (row.status === 'active') return false
      if (row.status !== 'pending') throw new CertError('CONFLICT', `certificate is ${row.status}`, { reason: row.status })
      const [revoke] = await tx.batch(Ca.confirmStatements(serialHex, row.customerId, row.certType, Date.now()))
      return (revoke?.rowsAffected ?? 0) > 0
    })
  }

  /**
   * One write transaction for a change of certificate states; when `fn` answers true (something
   * was revoked) the CRL is rebuilt in the same transaction. So the revocation and the CRL that
   * shows it commit together: a crash between them, or another node revoking meanwhile, can
   * never leave a CRL that misses a revocation.
   */
  private async writeTx(fn: (tx: Transaction) => Promise<boolean>): Promise<void> {
    await this.lock.run(() =>
      Ca.retryOneActive(async () => {
        const tx = await this.db.transaction('write')
        try {
          if (await fn(tx)) await this.publishCrlIn(tx)
          await tx.commit()
        } finally {
          tx.close()
        }
      }),
    )
  }

  private static async rowIn(tx: Transaction, serialHex: string): Promise<CertRow | undefined> {
    const r = (await tx.execute({ sql: 'SELECT * FROM ca_certs WHERE serial_hex = ?', args: [serialHex.toLowerCase()] })).rows[0]
    return r ? rowOf(r as unknown as Record<string, unknown>) : undefined
  }

  /** Activates a pending certificate, first revoking any other active one of the customer and type as superseded. */
  private static confirmStatements(serialHex: string, customerId: string, certType: CertType, now: number): InStatement[] {
    return [
      {
        sql: `UPDATE ca_certs SET status = 'revoked', revoked_at = ?, revocation_reason = 4
              WHERE customer_id = ? AND cert_type = ? AND status = 'active' AND serial_hex <> ?`,
        args: [now, customerId, certType, serialHex],
      },
      { sql: `UPDATE ca_certs SET status = 'active', confirmed_at = ? WHERE serial_hex = ? AND status = 'pending'`, args: [now, serialHex] },
    ]
  }

  /** Drops a pending certificate whose confirmation was negative; it is recorded as revoked so it can never come back. */
  async reject(serialHex: string): Promise<void> {
    await this.writeTx(async (tx) => {
      const res = await tx.execute({
        sql: `UPDATE ca_certs SET status = 'revoked', revoked_at = ?, revocation_reason = 0 WHERE serial_hex = ? AND status = 'pending'`,
        args: [Date.now(), serialHex],
      })
      return res.rowsAffected > 0
    })
  }

  async revokeSerial(serialHex: string, reason: RevocationReason): Promise<void> {
    await this.writeTx(async (tx) => {
      const row = await Ca.rowIn(tx, serialHex)
      if (!row) throw new CertError('NOT_FOUND', 'no such certificate')
      if (row.status === 'revoked') throw new CertError('CONFLICT', 'certificate already revoked', { reason: 'revoked' })
      await tx.execute({
        sql: `UPDATE ca_certs SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial_hex = ?`,
        args: [Date.now(), reason, row.serialHex],
      })
      return true
    })
  }

  async row(serialHex: string): Promise<CertRow | undefined> {
    const res = await this.db.execute({ sql: 'SELECT * FROM ca_certs WHERE serial_hex = ?', args: [serialHex.toLowerCase()] })
    const r = res.rows[0]
    return r ? rowOf(r as unknown as Record<string, unknown>) : undefined
  }

  async findActiveCert(customerId: string, certType: CertType): Promise<{ serialHex: string; certDer: Uint8Array } | undefined> {
    const res = await this.db.execute({
      sql: `SELECT serial_hex, cert_der FROM ca_certs WHERE customer_id = ? AND cert_type = ? AND status = 'active' AND not_after > ?
            ORDER BY not_after DESC LIMIT 1`,
      args: [customerId, certType, Date.now()],
    })
    const r = res.rows[0]
    return r ? { serialHex: String(r.serial_hex), certDer: u8(r.cert_der as ArrayBuffer) } : undefined
  }

  async certBySerial(serialHex: string): Promise<{ certDer: Uint8Array; status: CertStatus; customerId: string; certType: CertType } | undefined> {
    const r = await this.row(serialHex)
    if (!r) return undefined
    const status: CertStatus = r.status === 'active' && r.notAfter <= Date.now() ? 'expired' : r.status
    return { certDer: r.certDer, status, customerId: r.customerId, certType: r.certType }
  }

  /**
   * The current DER CRL, read from the database: another process of the center may have
   * published a newer one since this process last did.
   */
  async crlDer(): Promise<Uint8Array> {
    const rs = await this.db.execute('SELECT crl_der FROM ca_crl WHERE id = 1')
    const der = rs.rows[0]?.crl_der
    if (!der) throw new CertError('INTERNAL', 'CRL not published yet')
    return u8(der as ArrayBuffer)
  }

  /**
   * The CRL as `/crl` serves it: re-signed first when the current one is older than
   * `maxAgeMs` (checked again inside the write transaction, so concurrent requests sign once).
   * A client settling a renewal accepts only a CRL issued after the renewal started (a replayed
   * older one must not answer), and a renewal whose certConf never arrived changes nothing the
   * CRL shows; without this it would wait until the next revocation or start. At most one
   * signature per `maxAgeMs`.
   */
  async freshCrlDer(maxAgeMs: number): Promise<Uint8Array> {
    const SQL = 'SELECT this_update FROM ca_crl WHERE id = 1'
    const stale = (rs: { rows: ArrayLike<Record<string, unknown>> }): boolean => Date.now() - Number(rs.rows[0]?.this_update ?? 0) > maxAgeMs
    if (stale(await this.db.execute(SQL))) await this.writeTx(async (tx) => stale(await tx.execute(SQL)))
    return this.crlDer()
  }

  /** Republished on every start: the CRL's nextUpdate moves on, and a database restored from a backup gets a CRL that matches it. */
  private async ensureCrl(): Promise<void> {
    await this.writeTx(async () => true)
  }

  /**
   * Regenerates the CRL from the database inside a write transaction: a process or node that
   * revokes meanwhile waits, so a CRL built from an older list can never overwrite a newer one,
   * and CRL numbers stay unique across processes.
   */
  private async publishCrlIn(tx: Transaction): Promise<void> {
    const revoked = await tx.execute(
      `SELECT serial_hex, revoked_at, revocation_reason FROM ca_certs WHERE status = 'revoked' AND revocation_reason IS NOT NULL ORDER BY revoked_at`,
    )
    const prev = await tx.execute('SELECT crl_number FROM ca_crl WHERE id = 1')
    const number = Number(prev.rows[0]?.crl_number ?? 0) + 1
    const now = Date.now()
    const entries = revoked.rows.map(
      (r) =>
        new RevokedCertificate({
          userCertificate: ab(Buffer.from(String(r.serial_hex), 'hex')),
          revocationDate: new Time(new Date(Number(r.revoked_at))),
          crlEntryExtensions: [ext(id_ce_cRLReasons, false, new CRLReason(Number(r.revocation_reason)))],
        }),
    )
    const caSpki = this.cert.tbsCertificate.subjectPublicKeyInfo
    const tbs = new TBSCertList({
      version: Version.v2,
      signature: Ca.sigAlg(this.key),
      issuer: this.name,
      thisUpdate: new Time(new Date(now)),
      nextUpdate: new Time(new Date(now + CRL_NEXT_UPDATE_MS)),
      revokedCertificates: entries.length > 0 ? entries : undefined,
      crlExtensions: [
        ext(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdOf(caSpki)) })),
        ext(id_ce_cRLNumber, false, new CRLNumber(number)),
      ],
    })
    const der = Ca.assemble(this.key, tbs)
    await tx.execute({
      sql: `INSERT INTO ca_crl (id, crl_number, crl_der, this_update) VALUES (1, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET crl_number = excluded.crl_number, crl_der = excluded.crl_der, this_update = excluded.this_update`,
      args: [number, der, now],
    })
  }
}
