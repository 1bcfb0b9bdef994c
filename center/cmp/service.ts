import { createHash, randomBytes, type KeyObject } from 'node:crypto'
import type { Client, InStatement, InValue } from '@libsql/client'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, GeneralName, Name } from '@peculiar/asn1-x509'
import { CertId, CertReqMsg, OID, PKIBody, PKIHeader, PKIMessage, PKIStatus, type PBMParameter } from '../../shared/cmp/asn1'
import {
  bodyType,
  buildGenpBody,
  buildPkiConfBody,
  buildRpBody,
  bytes,
  caCertsInfo,
  certConfHash,
  decodePKIMessage,
  extraCertsDer,
  getOldCertId,
  getRandomNumRegInfo,
  hasImplicitConfirm,
  popoCheck,
  revocationReason,
  serialToHex,
  signatureProtectionInput,
  verifyPbmProtection,
  verifyPublicKeyMac,
} from '../../shared/cmp/messages'
import { constantTimeEqual, parsePbmAlgorithm, type PbmLimits } from '../../shared/cmp/pbm'
import { CertError } from '../../shared/errors'
import type { Ca, IssuePurpose, IssueRequest } from '../ca/ca'
import type { CertType, RevocationReason } from '../ca/facade'
import type { CenterConfig } from '../config'
import { accepted, buildResponse, certRepBodyDer, CmpFailure, errorBody, type Protection } from './response'
import { perExchangePbmHashes } from './pbm-hashes'
import type { RaEnrollment, RaPort } from './ra-port'
import { BatchGuardError, type GuardedStatement } from '../batch-guard'
import { CMP_THROTTLE, SourceThrottle } from '../source-throttle'
import { acceptableKey, isSignatureAlgorithm, spkiKey, verifySignature } from './sig'

const DAY_MS = 86_400_000
/** senderNonces older than this are forgotten; by then their transactions are closed, so a replay still fails. */
const NONCE_RETENTION_MS = DAY_MS

/** The DER of the request's PBMParameter as received. */
const parametersDer = (h: PKIHeader): Uint8Array | undefined => {
  const p = h.protectionAlg?.parameters
  return p ? bytes(p) : undefined
}
const hex = (b: ArrayBuffer | Uint8Array | undefined): string => (b ? Buffer.from(bytes(b)).toString('hex') : '')
const nameDer = (n: Name): string => Buffer.from(AsnConvert.serialize(n)).toString('hex')

interface TxRow {
  transactionId: string
  kind: string
  state: string
  reference: string | null
  signerSerial: string | null
  serialHex: string | null
  certReqId: number
  lastNonce: string | null
  updatedAt: number
}

interface Signer {
  serialHex: string
  certDer: Uint8Array
  cert: Certificate
  customerId: string
  certType: CertType
  notAfter: number
}

/** Context of one request while it is handled; decides how the answer is protected. */
interface Exchange {
  msg: PKIMessage
  protection: Protection
  extraCerts?: Uint8Array[]
  implicitConfirm?: boolean
  /** Set once this message opened or validly continued its transaction; only then is our nonce recorded. */
  ownsTx?: boolean
  /** Our senderNonce for the answer, chosen up front so it can be stored with the transaction's last update. */
  senderNonce: Uint8Array
  /** Set when senderNonce is already stored as the transaction's last_nonce. */
  nonceStored?: boolean
  /** PBM for this exchange only: the request's MAC, its POPO MAC and the answer share one derived key. */
  hashes: ReturnType<typeof perExchangePbmHashes>
  /** The caller's network source (see sourceKey), whose failed guesses slow it down. */
  source: string
}

/**
 * The one answer to a reference that cannot be used (unknown, expired, used, locked) and to a
 * wrong authorization code, never MACed with the real code: telling them apart, or MACing the
 * refusal with the real code, would let a guesser find live references or test codes offline.
 */
export const ENROLLMENT_AUTH_FAILED = 'unknown, expired, used or locked reference number, or wrong pbm value'

/** A refusal of the transactionID or senderNonce claim itself (a replay). */
class ClaimRefused extends CmpFailure {}

/** How often a process looks for unconfirmed certificates past the deadline while it serves requests. */
const SWEEP_INTERVAL_MS = 30_000

type Enrollment = RaEnrollment

export interface CmpServiceOptions {
  /** The clock (tests move it); milliseconds since the epoch. */
  now?: () => number
}

/**
 * The CA side of CMP (RFC 4210/9810 with the HTTP transfer of RFC 6712/9811). Every parsable
 * request gets a PKIMessage back; refusals are `error` bodies protected the way the request was
 * (PBM with the same secret when it is known, otherwise the CA's signature).
 *
 * All transaction state lives in the database (transactions, nonces, the sealed authorization
 * code in the RA), none in this object: several processes can serve one center, and a
 * certConf may reach a different process than its ir.
 */
export class CmpService {
  private lastPrune = 0
  private lastSweep = 0
  private readonly now: () => number
  /** Failed enrollment authentications per network source, shared by every process through the database. */
  private readonly throttle: SourceThrottle

  constructor(
    private readonly db: Client,
    private readonly ca: Ca,
    private readonly ra: RaPort,
    private readonly config: CenterConfig,
    opts: CmpServiceOptions = {},
  ) {
    this.now = opts.now ?? Date.now
    this.throttle = new SourceThrottle(db, 'cmp', CMP_THROTTLE, () => this.now())
  }

  private get limits(): PbmLimits {
    return { minIterations: this.config.pbmIterations.min, maxIterations: this.config.pbmIterations.max }
  }

  /**
   * Handles one DER PKIMessage and returns the DER response. Throws CertError BAD_REQUEST /
   * DAMAGED only when the bytes are not a PKIMessage at all (the HTTP layer answers 400 then).
   */
  async handle(der: Uint8Array, opts: { source?: string } = {}): Promise<Uint8Array> {
    if (der.length > this.config.maxMessageBytes) throw new CertError('BAD_REQUEST', 'CMP message too large')
    const msg = decodePKIMessage(der)
    const ex: Exchange = { msg, protection: { kind: 'signature' }, senderNonce: new Uint8Array(randomBytes(16)), hashes: perExchangePbmHashes(), source: opts.source ?? 'local' }
    await this.sweepIfDue()
    try {
      let body: PKIBody | Uint8Array
      try {
        body = await this.dispatch(ex)
      } catch (err) {
        body = this.failureBody(err)
      }
      return await this.respond(ex, body)
    } finally {
      ex.hashes.wipe()
    }
  }

  private failureBody(err: unknown): PKIBody {
    if (err instanceof CmpFailure) return errorBody(err.failInfo, err.message)
    if (err instanceof CertError) {
      if (err.code === 'CENTER' && err.params?.reason === 'balance') return errorBody('notAuthorized', 'insufficient account balance for the certificate fee')
      if (err.code === 'BAD_REQUEST' || err.code === 'DAMAGED') return errorBody('badRequest', err.message)
      if (err.code === 'UNSUPPORTED') return errorBody('badAlg', err.message)
      if (err.code === 'CONFLICT' || err.code === 'NOT_FOUND') return errorBody('badRequest', err.message)
      if (err.code === 'CENTER' || err.code === 'FORBIDDEN') return errorBody('notAuthorized', err.message)
    }
    return errorBody('systemFailure', 'internal error')
  }

  private async respond(ex: Exchange, body: PKIBody | Uint8Array): Promise<Uint8Array> {
    const { der } = buildResponse(body, {
      ca: this.ca,
      pvno: this.config.cmpVersion,
      request: ex.msg.header,
      protection: ex.protection,
      pbmLimits: this.limits,
      implicitConfirm: ex.implicitConfirm,
      extraCerts: ex.extraCerts,
      senderNonce: ex.senderNonce,
      pbmHashes: ex.hashes,
    })
    const tid = hex(ex.msg.header.transactionID)
    if (tid && ex.ownsTx && !ex.nonceStored) {
      // Stored before the answer leaves: the client's next message must echo it as recipNonce.
      await this.db.execute({ sql: 'UPDATE cmp_transactions SET last_nonce = ?, updated_at = ? WHERE transaction_id = ?', args: [hex(ex.senderNonce), this.now(), tid] })
    }
    return der
  }

  private async dispatch(ex: Exchange): Promise<PKIBody | Uint8Array> {
    const h = ex.msg.header
    if (h.pvno < 1 || h.pvno > 3) throw new CmpFailure('unsupportedVersion', `unsupported CMP version ${h.pvno}`)
    const tid = h.transactionID ? bytes(h.transactionID) : undefined
    if (!tid || tid.length < 16 || tid.length > 64) throw new CmpFailure('badDataFormat', 'transactionID must be 16 to 64 bytes')
    const nonce = h.senderNonce ? bytes(h.senderNonce) : undefined
    if (!nonce || nonce.length < 16 || nonce.length > 64) throw new CmpFailure('badSenderNonce', 'senderNonce must be 16 to 64 bytes')
    const type = bodyType(ex.msg.body)
    switch (type) {
      case 'ir':
      case 'cr':
      case 'p10cr':
        return this.enroll(ex, type)
      case 'kur':
        return this.keyUpdate(ex)
      case 'certConf':
        return this.certConf(ex)
      case 'rr':
        return this.revoke(ex)
      case 'genm':
        return this.genm(ex)
      case 'error':
        return this.clientError(ex)
      case 'pollReq':
        throw new CmpFailure('badRequest', 'no request is waiting to be polled')
      default:
        throw new CmpFailure('badRequest', `unsupported message type ${type ?? 'unknown'}`)
    }
  }

  // ------------------------------------------------------------------------------------------
  // Protection

  /**
   * The reference number (senderKID) and the PBM under its authorization code. An unusable
   * reference and a wrong code get one answer (ENROLLMENT_AUTH_FAILED), signed by the CA rather
   * than MACed, after the same PBM work; a wrong code counts against the reference (locked after
   * a few) and every failure against the caller's network source (made to wait after a few).
   */
  private async authenticateEnrollment(ex: Exchange): Promise<{ reference: string; enrollment: Enrollment }> {
    // The source's throttle and the reference's enrollment are read in one round trip; they are
    // judged in the order of the checks: the throttle first, then the message's own fields.
    let reference: string | undefined
    let refused: unknown
    try {
      reference = this.referenceOf(ex.msg.header)
    } catch (err) {
      refused = err
    }
    const query = reference === undefined ? undefined : this.ra.enrollmentQuery(reference)
    const [throttled, found] = await this.db.batch(query ? [this.throttle.checkStatement(ex.source), query.statement] : [this.throttle.checkStatement(ex.source)], 'read')
    try {
      this.throttle.judge(throttled!)
    } catch (err) {
      throw new CmpFailure('notAuthorized', err instanceof CertError ? err.message : 'try again later')
    }
    if (reference === undefined || !query || !found) throw refused
    let param: PBMParameter
    try {
      param = parsePbmAlgorithm(ex.msg.header.protectionAlg)
    } catch (err) {
      throw new CmpFailure('badAlg', err instanceof CertError ? err.message : 'unusable PBM parameters')
    }
    const enrollment = await query.read(found)
    let ok: boolean
    try {
      // A reference we cannot use costs the same PBM work as a live one, so timing tells nothing either.
      ok = verifyPbmProtection(ex.msg, enrollment?.authCode ?? randomBytes(12).toString('base64'), this.limits, { param, hashes: ex.hashes })
    } catch (err) {
      if (err instanceof CertError && err.params?.reason === 'pbm-iterations') throw new CmpFailure('badAlg', err.message)
      throw err
    }
    if (!enrollment || !ok) {
      if (enrollment) await this.ra.recordEnrollmentFailure(reference)
      await this.throttle.fail(ex.source)
      throw new CmpFailure('notAuthorized', ENROLLMENT_AUTH_FAILED)
    }
    // From here the answer can be MACed: the client has proven it holds the same secret.
    ex.protection = { kind: 'pbm', secret: enrollment.authCode, param, parametersDer: parametersDer(ex.msg.header) }
    return { reference, enrollment }
  }

  private referenceOf(h: PKIHeader): string {
    if (!h.senderKID) throw new CmpFailure('badRequest', 'senderKID (reference number) is missing')
    const ref = new TextDecoder('utf-8', { fatal: false }).decode(bytes(h.senderKID))
    if (ref.length === 0 || ref.length > 64) throw new CmpFailure('badRequest', 'invalid reference number')
    return ref
  }

  /** Verifies signature protection and that the signer is a valid certificate we issued. */
  private async checkSigner(ex: Exchange, opts: { allowExpired?: boolean } = {}): Promise<Signer> {
    const alg = ex.msg.header.protectionAlg
    if (!alg || !isSignatureAlgorithm(alg.algorithm)) throw new CmpFailure('notAuthorized', 'this request must be signed with a certificate we issued')
    const { data, signature } = signatureProtectionInput(ex.msg)
    const certs = extraCertsDer(ex.msg)
    const certDer = certs[0]
    if (!certDer) throw new CmpFailure('signerNotTrusted', "the signer's certificate is missing from extraCerts")
    if (!this.ca.verifyIssued(certDer)) throw new CmpFailure('signerNotTrusted', 'the signer certificate was not issued by this CA')
    const cert = AsnConvert.parse(certDer, Certificate)
    const serialHex = serialToHex(cert.tbsCertificate.serialNumber)
    const row = await this.ca.row(serialHex)
    if (!row || !constantTimeEqual(row.certDer, certDer)) throw new CmpFailure('signerNotTrusted', 'the signer certificate is unknown')
    let key: KeyObject
    try {
      key = spkiKey(bytes(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)))
    } catch {
      throw new CmpFailure('badAlg', 'unsupported signer key')
    }
    if (!verifySignature(alg.algorithm, key, data, signature)) throw new CmpFailure('badMessageCheck', 'message signature does not verify')
    if (row.status === 'revoked') throw new CmpFailure('certRevoked', 'the signer certificate is revoked')
    if (row.status !== 'active') throw new CmpFailure('signerNotTrusted', 'the signer certificate was never confirmed')
    if (!opts.allowExpired && row.notAfter <= this.now()) throw new CmpFailure('signerNotTrusted', 'the signer certificate has expired')
    return { serialHex, certDer, cert, customerId: row.customerId, certType: row.certType, notAfter: row.notAfter }
  }

  // ------------------------------------------------------------------------------------------
  // Replay protection

  /** Records a new transaction; a transactionID seen before is refused. */
  private async claimTransaction(ex: Exchange, kind: string, fields: { reference?: string; signerSerial?: string } = {}): Promise<string> {
    const tid = hex(ex.msg.header.transactionID)
    const now = this.now()
    await this.pruneIfDue(now)
    try {
      await this.db.batch(this.claimStatements(ex, kind, fields, now), 'deferred')
    } catch (err) {
      throw this.claimFailure(err)
    }
    ex.ownsTx = true
    return tid
  }

  /**
   * The claims on the transactionID and the senderNonce, both in one commit, as statements for a
   * batch: the keys make each claim atomic across processes and nodes, and their guards
   * ('transaction', 'nonce') undo the batch when either was seen before (see claimFailure).
   */
  private claimStatements(ex: Exchange, kind: string, fields: { reference?: string; signerSerial?: string }, now: number): GuardedStatement[] {
    return [
      {
        sql: `INSERT INTO cmp_transactions (transaction_id, kind, state, reference, signer_serial, created_at, updated_at)
              VALUES (?, ?, 'open', ?, ?, ?, ?) ON CONFLICT(transaction_id) DO NOTHING`,
        args: [hex(ex.msg.header.transactionID), kind, fields.reference ?? null, fields.signerSerial ?? null, now, now],
        guard: 'transaction',
      },
      { ...this.nonceInsert(ex, now), guard: 'nonce' },
    ]
  }

  /** The CMP refusal for a claim's failed guard; any other error as it is. */
  private claimFailure(err: unknown): unknown {
    if (err instanceof BatchGuardError && err.guard === 'transaction') return new ClaimRefused('transactionIdInUse', 'transactionID already used')
    if (err instanceof BatchGuardError && err.guard === 'nonce') return new ClaimRefused('badSenderNonce', 'senderNonce already used (replayed message)')
    return err
  }

  private async pruneIfDue(now: number): Promise<void> {
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now
      await this.db.execute({ sql: 'DELETE FROM cmp_nonces WHERE seen_at < ?', args: [now - NONCE_RETENTION_MS] })
    }
  }

  private nonceInsert(ex: Exchange, now: number): { sql: string; args: InValue[] } {
    return { sql: 'INSERT INTO cmp_nonces (nonce, seen_at) VALUES (?, ?) ON CONFLICT(nonce) DO NOTHING', args: [hex(ex.msg.header.senderNonce), now] }
  }

  private async claimNonce(ex: Exchange): Promise<void> {
    const now = this.now()
    await this.pruneIfDue(now)
    const res = await this.db.execute(this.nonceInsert(ex, now))
    if (res.rowsAffected === 0) throw new CmpFailure('badSenderNonce', 'senderNonce already used (replayed message)')
  }

  private async txRow(tid: string): Promise<TxRow | undefined> {
    const r = (await this.db.execute({ sql: 'SELECT * FROM cmp_transactions WHERE transaction_id = ?', args: [tid] })).rows[0]
    if (!r) return undefined
    return {
      transactionId: String(r.transaction_id),
      kind: String(r.kind),
      state: String(r.state),
      reference: r.reference == null ? null : String(r.reference),
      signerSerial: r.signer_serial == null ? null : String(r.signer_serial),
      serialHex: r.serial_hex == null ? null : String(r.serial_hex),
      certReqId: Number(r.cert_req_id ?? 0),
      lastNonce: r.last_nonce == null ? null : String(r.last_nonce),
      updatedAt: Number(r.updated_at ?? 0),
    }
  }

  private async setTx(tid: string, state: string, serialHex?: string, certReqId?: number): Promise<void> {
    await this.db.execute(this.setTxStatement(tid, state, serialHex, certReqId))
  }

  private setTxStatement(tid: string, state: string, serialHex?: string, certReqId?: number, lastNonce?: Uint8Array): InStatement {
    return {
      sql: `UPDATE cmp_transactions SET state = ?, serial_hex = COALESCE(?, serial_hex), cert_req_id = COALESCE(?, cert_req_id),
              last_nonce = COALESCE(?, last_nonce), updated_at = ? WHERE transaction_id = ?`,
      args: [state, serialHex ?? null, certReqId ?? null, lastNonce ? hex(lastNonce) : null, this.now(), tid],
    }
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  /** The single CertReqMsg of ir/cr/kur, POPO verified. Returns the new key and the optional randomNum. */
  private checkCertReq(ex: Exchange, msg: CertReqMsg, secret?: string): { spkiDer: Uint8Array; certReqId: number; randomNum?: Uint8Array } {
    let check: ReturnType<typeof popoCheck>
    try {
      check = popoCheck(msg)
    } catch (err) {
      throw new CmpFailure('badPOP', err instanceof CertError ? err.message : 'malformed proof of possession')
    }
    if (check.kind === 'raVerified') throw new CmpFailure('badPOP', 'raVerified is not accepted from an end entity')
    if (check.kind !== 'signature') throw new CmpFailure('badPOP', 'a signature proof of possession is required')
    let key: KeyObject
    try {
      key = spkiKey(check.publicKey)
    } catch {
      throw new CmpFailure('badCertTemplate', 'the public key cannot be read')
    }
    if (!acceptableKey(key)) throw new CmpFailure('badCertTemplate', 'key must be RSA-2048 or larger, EC P-256/P-384 or Ed25519')
    if (!verifySignature(check.algorithm.algorithm, key, check.data, check.signature)) throw new CmpFailure('badPOP', 'proof of possession signature does not verify')
    if (check.input?.authInfo.publicKeyMAC) {
      if (!secret || !verifyPublicKeyMac(check.input, secret, this.limits, { hashes: ex.hashes, publicKeyDer: check.publicKey })) throw new CmpFailure('badPOP', 'proof of possession MAC does not verify')
    }
    let randomNum: Uint8Array | undefined
    try {
      randomNum = getRandomNumRegInfo(msg)
    } catch (err) {
      throw new CmpFailure('badDataFormat', err instanceof CertError ? err.message : 'malformed randomNum')
    }
    return { spkiDer: check.publicKey, certReqId: msg.certReq.certReqId, randomNum }
  }

  private singleReq(msgs: CertReqMsg[] | undefined): CertReqMsg {
    if (!msgs || msgs.length !== 1 || !msgs[0]) throw new CmpFailure('badRequest', 'exactly one certificate request per message is supported')
    return msgs[0]
  }

  private async chargeFee(customerId: string, certType: CertType, what: string): Promise<void> {
    const fee = this.config.feesKrw[certType]
    if (fee > 0) await this.ra.charge(customerId, fee, `${certType} certificate ${what}`)
  }

  private issuedResponse(type: 'ip' | 'cp' | 'kup', certReqId: number, certDer: Uint8Array): PKIBody | Uint8Array {
    // The certificates go in as DER: parsing and re-encoding them through the schema costs more than issuing.
    return certRepBodyDer(type, certReqId, certDer, this.ca.caCertDer())
  }

  /** ir / cr / p10cr under the reference number (senderKID) and authorization code (PBM secret). */
  private async enroll(ex: Exchange, type: 'ir' | 'cr' | 'p10cr'): Promise<PKIBody | Uint8Array> {
    const h = ex.msg.header
    if (h.protectionAlg?.algorithm !== OID.passwordBasedMac) {
      throw new CmpFailure('notAuthorized', 'enrollment requires the reference number and authorization code (PBM)')
    }
    const { reference, enrollment } = await this.authenticateEnrollment(ex)
    try {
      return await this.enrollAuthenticated(ex, type, reference, enrollment)
    } catch (err) {
      if (ex.ownsTx || err instanceof ClaimRefused) throw err
      // Refused after authentication: its transactionID and senderNonce are spent all the same
      // (as the issuance's batch would have spent them), so a resent copy is refused as a
      // replay; a claim that fails here is the answer, as it comes first in the order of checks.
      await this.claimTransaction(ex, type, { reference })
      throw err
    }
  }

  /**
   * An authenticated ir/cr/p10cr: every check that needs no write first, then one batch that
   * claims the transactionID, the nonce and the reference, charges the fee, stores the
   * certificate and closes the transaction, all in one commit (one round trip on PostgreSQL,
   * with no center-wide lock: each claim is a key or a conditional update with a guard).
   */
  private async enrollAuthenticated(ex: Exchange, type: 'ir' | 'cr' | 'p10cr', reference: string, enrollment: Enrollment): Promise<PKIBody | Uint8Array> {
    const tid = hex(ex.msg.header.transactionID)
    const now = this.now()
    await this.pruneIfDue(now)
    let req: { spkiDer: Uint8Array; certReqId: number; randomNum?: Uint8Array }
    if (type === 'p10cr') {
      const csr = ex.msg.body.p10cr!
      const spkiDer = bytes(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo))
      const infoDer = csr.certificationRequestInfoRaw ? bytes(csr.certificationRequestInfoRaw) : bytes(AsnConvert.serialize(csr.certificationRequestInfo))
      let key: KeyObject
      try {
        key = spkiKey(spkiDer)
      } catch {
        throw new CmpFailure('badCertTemplate', 'the public key cannot be read')
      }
      if (!acceptableKey(key)) throw new CmpFailure('badCertTemplate', 'key must be RSA-2048 or larger, EC P-256/P-384 or Ed25519')
      if (!verifySignature(csr.signatureAlgorithm.algorithm, key, infoDer, bytes(csr.signature))) throw new CmpFailure('badPOP', 'CSR signature does not verify')
      req = { spkiDer, certReqId: -1 }
    } else {
      req = this.checkCertReq(ex, this.singleReq(type === 'ir' ? ex.msg.body.ir : ex.msg.body.cr), enrollment.authCode)
    }

    const customer = enrollment.customer ?? (await this.ra.getCustomer(enrollment.customerId))
    if (!customer) throw new CmpFailure('notAuthorized', 'the customer record is missing')
    const purpose: IssuePurpose = enrollment.purpose
    const fee = this.config.feesKrw[enrollment.certType]
    let issued: { certDer: Uint8Array }
    try {
      issued = await this.issueAndFinish(
        ex,
        tid,
        { customerId: enrollment.customerId, certType: enrollment.certType, purpose, spkiDer: req.spkiDer, customer, randomNum: req.randomNum, transactionId: tid },
        req.certReqId,
        {
          // In the order the checks are answered: the replay claims, then the certificate's
          // insert (a reissue replaces the valid certificate, superseded on confirmation; only a
          // first issue must find none), the reference (of two requests racing with one code, in
          // this process or another, exactly one gets past it), then the fee.
          before: this.claimStatements(ex, type, { reference }, now),
          firstOfType: purpose === 'issue',
          after: this.ra.enrollmentSpending(reference, fee > 0 ? { customerId: enrollment.customerId, amountKrw: fee, memo: `${enrollment.certType} certificate ${purpose}` } : undefined),
        },
      )
    } catch (err) {
      if (!(err instanceof BatchGuardError)) throw err
      if (err.guard === 'active-cert') throw new CmpFailure('duplicateCertReq', 'a valid certificate of this type already exists; request a reissue (재발급) instead')
      if (err.guard === 'reference') {
        await this.ra.enrollmentClaimRefused(reference)
        throw new CmpFailure('transactionIdInUse', 'this reference number is already being used')
      }
      if (err.guard === 'balance') throw await this.ra.chargeRefused(enrollment.customerId, fee)
      throw this.claimFailure(err)
    }
    ex.ownsTx = true
    return this.issuedResponse(type === 'cr' ? 'cp' : type === 'p10cr' ? 'cp' : 'ip', req.certReqId, issued.certDer)
  }

  /**
   * Issues and records the transaction's new state in the same commit as the certificate: active
   * at once under implicitConfirm, otherwise pending until certConf. Our answer's senderNonce is
   * stored with it, so the client's certConf can be matched against it.
   */
  private async issueAndFinish(
    ex: Exchange,
    tid: string,
    issue: IssueRequest,
    certReqId: number,
    also: { before?: InStatement[]; firstOfType?: boolean; after?: InStatement[] } = {},
  ): Promise<{ serialHex: string; certDer: Uint8Array }> {
    const implicit = hasImplicitConfirm(ex.msg.header)
    const issued = await this.ca.issue(issue, {
      before: also.before,
      firstOfType: also.firstOfType,
      confirm: implicit,
      alsoRun: (serialHex) => [...(also.after ?? []), this.setTxStatement(tid, implicit ? 'done' : 'waitConf', serialHex, certReqId, ex.senderNonce)],
    })
    ex.nonceStored = true
    if (implicit) ex.implicitConfirm = true
    return issued
  }

  /** kur signed with the certificate being renewed (within the renewal window, never after expiry). */
  private async keyUpdate(ex: Exchange): Promise<PKIBody | Uint8Array> {
    const signer = await this.checkSigner(ex)
    const tid = await this.claimTransaction(ex, 'kur', { signerSerial: signer.serialHex })
    const msg = this.singleReq(ex.msg.body.kur)
    let oldId: CertId | undefined
    try {
      oldId = getOldCertId(msg.certReq)
    } catch {
      throw new CmpFailure('badDataFormat', 'malformed oldCertID control')
    }
    if (!oldId) throw new CmpFailure('badCertId', 'the oldCertID control is missing')
    const oldIssuer = oldId.issuer.directoryName
    if (serialToHex(oldId.serialNumber) !== signer.serialHex || !oldIssuer || nameDer(oldIssuer) !== nameDer(this.ca.name)) {
      throw new CmpFailure('badCertId', 'oldCertID does not name the signing certificate')
    }
    const now = this.now()
    if (now < signer.notAfter - this.config.renewalWindowDays * DAY_MS) {
      throw new CmpFailure('notAuthorized', `renewal is possible only within ${this.config.renewalWindowDays} days before expiry`)
    }
    if (this.config.renewalRequiresRa && !(await this.ra.isRenewalAuthorized(signer.serialHex))) {
      throw new CmpFailure('notAuthorized', 'renewal has not been authorized by the registration authority')
    }
    const req = this.checkCertReq(ex, msg)
    const oldSpki = bytes(AsnConvert.serialize(signer.cert.tbsCertificate.subjectPublicKeyInfo))
    if (constantTimeEqual(oldSpki, req.spkiDer)) throw new CmpFailure('badCertTemplate', 'the new key must differ from the old one')
    const customer = await this.ra.getCustomer(signer.customerId)
    if (!customer) throw new CmpFailure('notAuthorized', 'the customer record is missing')
    await this.chargeFee(signer.customerId, signer.certType, 'renewal')
    if (this.config.renewalRequiresRa) await this.ra.consumeRenewalAuthorization(signer.serialHex)
    const issued = await this.issueAndFinish(
      ex,
      tid,
      {
        customerId: signer.customerId,
        certType: signer.certType,
        purpose: 'renew',
        spkiDer: req.spkiDer,
        customer,
        randomNum: req.randomNum,
        renewOf: { certDer: signer.certDer, serialHex: signer.serialHex },
        transactionId: tid,
      },
      req.certReqId,
    )
    return this.issuedResponse('kup', req.certReqId, issued.certDer)
  }

  /** Verifies a follow-up message of an open transaction (certConf, error) under that transaction's protection. */
  private async checkFollowUp(ex: Exchange, tx: TxRow): Promise<void> {
    if (tx.updatedAt + this.config.transactionTtlSeconds * 1000 < this.now()) {
      await this.expireUnconfirmed()
      throw new CmpFailure('badRequest', 'the transaction has expired')
    }
    if (tx.reference !== null) {
      const secret = await this.ra.enrollmentSecret(tx.reference)
      if (!secret) throw new CmpFailure('badRequest', 'the transaction has expired')
      if (ex.msg.header.protectionAlg?.algorithm !== OID.passwordBasedMac) throw new CmpFailure('wrongIntegrity', 'expected PBM protection')
      let ok: boolean
      let param: PBMParameter
      try {
        param = parsePbmAlgorithm(ex.msg.header.protectionAlg)
        ok = verifyPbmProtection(ex.msg, secret, this.limits, { param, hashes: ex.hashes })
      } catch (err) {
        throw new CmpFailure('badAlg', err instanceof CertError ? err.message : 'unusable PBM parameters')
      }
      if (!ok) {
        // Refused under the CA's signature: a refusal MACed with the real code would let the sender test guesses offline.
        await this.throttle.fail(ex.source)
        throw new CmpFailure('badMessageCheck', 'wrong pbm value')
      }
      ex.protection = { kind: 'pbm', secret, param, parametersDer: parametersDer(ex.msg.header) }
    } else {
      const signer = await this.checkSigner(ex, { allowExpired: true })
      if (signer.serialHex !== tx.signerSerial) throw new CmpFailure('notAuthorized', 'signed by a different certificate than the request')
    }
    const recip = ex.msg.header.recipNonce
    if (!recip || !tx.lastNonce || !constantTimeEqual(bytes(recip), Buffer.from(tx.lastNonce, 'hex'))) {
      throw new CmpFailure('badRecipientNonce', 'recipNonce does not match our last senderNonce')
    }
    await this.claimNonce(ex)
    ex.ownsTx = true
  }

  private async openTx(ex: Exchange): Promise<TxRow> {
    const tx = await this.txRow(hex(ex.msg.header.transactionID))
    if (!tx || tx.state !== 'waitConf' || !tx.serialHex) throw new CmpFailure('badRequest', 'no certificate of this transaction is waiting for confirmation')
    return tx
  }

  private async certConf(ex: Exchange): Promise<PKIBody> {
    const tx = await this.openTx(ex)
    await this.checkFollowUp(ex, tx)
    const serialHex = tx.serialHex!
    const statuses = ex.msg.body.certConf ?? []
    if (statuses.length !== 1 || !statuses[0]) throw new CmpFailure('badRequest', 'certConf must confirm exactly one certificate')
    const st = statuses[0]
    if (st.certReqId !== tx.certReqId) throw new CmpFailure('badRequest', 'certReqId does not match the request')
    const row = await this.ca.row(serialHex)
    if (!row) throw new CmpFailure('systemFailure', 'the issued certificate is missing')
    // State moves first so two racing certConfs cannot both act on the transaction.
    const moved = await this.db.execute({
      sql: `UPDATE cmp_transactions SET state = 'done', updated_at = ? WHERE transaction_id = ? AND state = 'waitConf'`,
      args: [this.now(), tx.transactionId],
    })
    if (moved.rowsAffected === 0) throw new CmpFailure('badRequest', 'the transaction is already closed')
    if (st.statusInfo && st.statusInfo.status === PKIStatus.rejection) {
      await this.ca.reject(serialHex)
      await this.undoSpending(tx, row, 'rejected by the client')
      return buildPkiConfBody()
    }
    let expected: Uint8Array
    const hashAlg = st.hashAlg?.algorithm
    if (hashAlg) {
      const name = { [OID.sha256]: 'sha256', [OID.sha384]: 'sha384', [OID.sha512]: 'sha512' }[hashAlg]
      if (!name) throw new CmpFailure('badAlg', 'unsupported certHash algorithm')
      expected = new Uint8Array(createHash(name).update(row.certDer).digest())
    } else {
      expected = certConfHash(row.certDer)
    }
    if (!constantTimeEqual(expected, bytes(st.certHash))) {
      await this.ca.reject(serialHex)
      await this.undoSpending(tx, row, 'rejected (certHash mismatch)')
      throw new CmpFailure('badCertId', 'certHash does not match the issued certificate')
    }
    await this.ca.confirm(serialHex)
    return buildPkiConfBody()
  }

  /** An error message from the client ends its transaction: the pending certificate is never activated. */
  private async clientError(ex: Exchange): Promise<PKIBody> {
    const tx = await this.openTx(ex)
    await this.checkFollowUp(ex, tx)
    await this.setTx(tx.transactionId, 'done')
    await this.ca.reject(tx.serialHex!)
    const row = await this.ca.row(tx.serialHex!)
    if (row) await this.undoSpending(tx, row, 'rejected by the client')
    return buildPkiConfBody()
  }

  private async sweepIfDue(): Promise<void> {
    const now = this.now()
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return
    this.lastSweep = now
    await this.expireUnconfirmed().catch(() => undefined) // the next sweep tries again
  }

  /**
   * Ends the transactions whose certificate was not confirmed by the deadline
   * (`transactionTtlSeconds`, `certmgr center serve --confirm-deadline-minutes`): the certificate
   * is revoked (it was never valid, and the CRL says so), the one-time codes or renewal consent
   * work again and the fee goes back. Each transaction is claimed by one atomic state change, so
   * several processes sweeping at once act on it once. Returns how many it ended.
   */
  async expireUnconfirmed(): Promise<number> {
    const now = this.now()
    const cutoff = now - this.config.transactionTtlSeconds * 1000
    const due = await this.db.execute({
      sql: `SELECT transaction_id FROM cmp_transactions WHERE state = 'waitConf' AND updated_at < ? ORDER BY updated_at LIMIT 100`,
      args: [cutoff],
    })
    let ended = 0
    for (const r of due.rows) {
      const tx = await this.txRow(String(r.transaction_id))
      if (!tx?.serialHex) continue
      const moved = await this.db.execute({
        sql: `UPDATE cmp_transactions SET state = 'expired', updated_at = ? WHERE transaction_id = ? AND state = 'waitConf' AND updated_at < ?`,
        args: [now, tx.transactionId, cutoff],
      })
      if (moved.rowsAffected !== 1) continue
      await this.ca.reject(tx.serialHex)
      const row = await this.ca.row(tx.serialHex)
      if (row) await this.undoSpending(tx, row, 'not confirmed in time')
      ended++
    }
    return ended
  }

  /**
   * A certificate the client rejected (it could not store it, so its key is lost) was never
   * delivered: the one-time codes or the RA's renewal consent work again, and the fee comes
   * back, so the user can simply try again.
   */
  private async undoSpending(tx: TxRow, row: { customerId: string; certType: CertType }, why: string): Promise<void> {
    if (tx.reference !== null) await this.ra.releaseEnrollment(tx.reference)
    else if (tx.kind === 'kur' && tx.signerSerial && this.config.renewalRequiresRa) await this.ra.restoreRenewalAuthorization(tx.signerSerial)
    const fee = this.config.feesKrw[row.certType]
    if (fee > 0) await this.ra.refund(row.customerId, fee, `${row.certType} certificate ${why}`)
  }

  /** rr signed by a valid certificate of the same customer as the certificate to revoke. */
  private async revoke(ex: Exchange): Promise<PKIBody> {
    const signer = await this.checkSigner(ex)
    await this.claimTransaction(ex, 'rr', { signerSerial: signer.serialHex })
    const details = ex.msg.body.rr ?? []
    if (details.length !== 1 || !details[0]) throw new CmpFailure('badRequest', 'exactly one revocation per message is supported')
    const d = details[0]
    const serial = d.certDetails.serialNumber
    if (!serial) throw new CmpFailure('badCertId', 'the serial number to revoke is missing')
    const issuer = d.certDetails.issuer
    if (issuer && nameDer(issuer) !== nameDer(this.ca.name)) throw new CmpFailure('badCertId', 'the certificate was not issued by this CA')
    const serialHex = serialToHex(serial)
    let reason: number | undefined
    try {
      reason = revocationReason(d)
    } catch {
      throw new CmpFailure('badDataFormat', 'malformed CRL reason')
    }
    const r = reason ?? 0
    if (r < 0 || r > 10 || r === 7 || r === 8) throw new CmpFailure('badRequest', 'unsupported revocation reason')
    const target = await this.ca.certBySerial(serialHex)
    if (!target || target.customerId !== signer.customerId) throw new CmpFailure('badCertId', 'no such certificate of this customer')
    if (target.status === 'revoked') throw new CmpFailure('certRevoked', 'the certificate is already revoked')
    await this.ca.revokeSerial(serialHex, r as RevocationReason)
    const certId = new CertId({ issuer: new GeneralName({ directoryName: this.ca.name }), serialNumber: bytes(serial).slice().buffer })
    return buildRpBody([accepted()], [certId])
  }

  /** genm: answers id-it-caCerts (and an empty genp for anything else). */
  private async genm(ex: Exchange): Promise<PKIBody> {
    const h = ex.msg.header
    const asked = ex.msg.body.genm ?? []
    const wantsCaCerts = asked.length === 0 || asked.some((i) => i.infoType === OID.itCaCerts)
    const answer = buildGenpBody(wantsCaCerts ? [caCertsInfo([this.ca.caCertDer()])] : [])
    // Unprotected, anyone may ask for the public CA certificate, and such a request stores nothing:
    // no transaction, no nonce, so a flood of them cannot fill the database.
    if (!h.protectionAlg) return answer
    if (h.protectionAlg.algorithm === OID.passwordBasedMac) await this.authenticateEnrollment(ex)
    else await this.checkSigner(ex, { allowExpired: true })
    await this.claimTransaction(ex, 'genm')
    await this.setTx(hex(h.transactionID), 'done')
    return answer
  }
}
