import type { Client, InStatement } from '@libsql/client'
import type { CaFacade, CertType } from '../ca/facade'
import type { SecurityCard } from './card'
import * as codes from './codes'
import * as customers from './customers'
import { readOutbox, type OutboxEntry } from './messenger'
import { RaContext, type Actor, type EnrollmentPurpose, type Medium, type RaCaPort, type RaFees, type RaOptions, type SessionPurpose } from './ra-context'
import * as registration from './registration'
import * as renewal from './renewal'
import * as revocation from './revocation'
import * as sessions from './sessions'
import * as trust from './trust'

export type { CertType } from '../ca/facade'
export type { Customer, NewCustomer, CreatedCustomer } from './customers'
export type { EnrollmentCodes } from './codes'
export { LIMITS, normalizeSerial, type Medium, type SessionPurpose, type EnrollmentPurpose, type RaFees, type RaOptions, type RaCaPort } from './ra-context'
export { revocationReason } from './revocation'

/**
 * The registration authority of the certification center: customers, security media, phone
 * checks, one-time enrollment codes and renewal authorizations. Every check is counted and
 * locked out after a few failures, and every attempt lands in `audit` without its secret.
 *
 * The work is done by one module per area over a shared `RaContext`: customers.ts, sessions.ts
 * (identity, phone, security medium), codes.ts (fees and enrollment codes), renewal.ts,
 * revocation.ts, registration.ts (타기관 인증서 등록) and messenger.ts (the outbox). This class
 * is the one object the HTTP API, the CMP server and the operator CLI hold.
 */
export class Ra {
  private readonly ctx: RaContext

  constructor(db: Client, opts: RaOptions = {}) {
    this.ctx = new RaContext(db, opts)
  }

  get name(): string {
    return this.ctx.name
  }
  get bankCode(): string {
    return this.ctx.bankCode
  }
  get fees(): RaFees {
    return this.ctx.fees
  }
  get codeTtlSeconds(): number {
    return this.ctx.codeTtlSeconds
  }
  get renewalWindowDays(): number {
    return this.ctx.renewalWindowDays
  }
  get startingBalanceKrw(): number {
    return this.ctx.startingBalanceKrw
  }
  /** True when codes go to the local outbox rather than a real gateway. */
  get usesOutbox(): boolean {
    return this.ctx.usesOutbox
  }

  audit(actor: Actor, action: string, outcome: 'ok' | 'fail' | 'locked', ids: { customerId?: string; sessionId?: string } = {}, detail?: Record<string, string | number | boolean>): Promise<void> {
    return this.ctx.audit(actor, action, outcome, ids, detail)
  }

  // ---- customers (operator) ---------------------------------------------------------------
  createCustomer(input: customers.NewCustomer, actor: Actor = 'operator'): Promise<customers.CreatedCustomer> {
    return customers.createCustomer(this.ctx, input, actor)
  }
  getCustomer(customerId: string): Promise<customers.Customer | undefined> {
    return customers.getCustomer(this.ctx, customerId)
  }
  accounts(customerId: string): Promise<{ number: string; balanceKrw: number }[]> {
    return customers.accounts(this.ctx, customerId)
  }
  /** The customer's security card, for printing by the operator. */
  securityCard(customerId: string): Promise<SecurityCard> {
    return customers.securityCard(this.ctx, customerId)
  }
  /** otpauth:// URI for the customer's authenticator app. */
  otpUri(customerId: string): Promise<string> {
    return customers.otpUri(this.ctx, customerId)
  }
  /** Operator action after an in-person ID check: clears identity and medium lockouts. */
  unlockCustomer(customerId: string): Promise<void> {
    return customers.unlockCustomer(this.ctx, customerId)
  }

  // ---- fees and enrollment codes (consumed by the CA's CMP server) ------------------------
  charge(customerId: string, amountKrw: number, memo: string): Promise<void> {
    return codes.charge(this.ctx, customerId, amountKrw, memo)
  }
  /** Credits back a fee charged for a certificate that was never activated. */
  refund(customerId: string, amountKrw: number, memo: string): Promise<void> {
    return codes.refund(this.ctx, customerId, amountKrw, memo)
  }
  createEnrollmentCodes(customerId: string, certType: CertType, purpose: EnrollmentPurpose, actor: Actor = 'operator', ttlSeconds = this.ctx.codeTtlSeconds): Promise<codes.EnrollmentCodes> {
    return codes.createEnrollmentCodes(this.ctx, customerId, certType, purpose, actor, ttlSeconds)
  }
  lookupEnrollment(reference: string): ReturnType<typeof codes.lookupEnrollment> {
    return codes.lookupEnrollment(this.ctx, reference)
  }
  enrollmentQuery(reference: string): ReturnType<typeof codes.enrollmentQuery> {
    return codes.enrollmentQuery(this.ctx, reference)
  }
  enrollmentSpending(reference: string, fee?: { customerId: string; amountKrw: number; memo: string }): InStatement[] {
    return [...codes.consumeEnrollmentStatements(this.ctx, reference), ...(fee ? codes.chargeStatements(this.ctx, fee.customerId, fee.amountKrw, fee.memo) : [])]
  }
  enrollmentClaimRefused(reference: string): Promise<void> {
    return codes.enrollmentClaimRefused(this.ctx, reference)
  }
  chargeRefused(customerId: string, amountKrw: number): Promise<Error> {
    return codes.chargeRefused(this.ctx, customerId, amountKrw)
  }
  recordEnrollmentFailure(reference: string): Promise<void> {
    return codes.recordEnrollmentFailure(this.ctx, reference)
  }
  consumeEnrollment(reference: string): Promise<boolean> {
    return codes.consumeEnrollment(this.ctx, reference)
  }
  releaseEnrollment(reference: string): Promise<void> {
    return codes.releaseEnrollment(this.ctx, reference)
  }
  enrollmentSecret(reference: string): Promise<string | undefined> {
    return codes.enrollmentSecret(this.ctx, reference)
  }
  /** Reference number and authorization code after the identity checks (issue or reissue). */
  sessionCodes(sessionId: string, certType: CertType, ca: RaCaPort): Promise<codes.EnrollmentCodes> {
    return codes.sessionCodes(this.ctx, sessionId, certType, ca)
  }

  // ---- the customer-facing session ---------------------------------------------------------
  /** `source`: the caller's network source (see sourceKey), whose failures slow it down. */
  /** `ca`: lets a 갱신 session name its customer by the certificate's serial and the account alone. */
  openSession(input: { name?: string; idn?: string; account: string; purpose: SessionPurpose; serialHex?: string }, source?: string, ca?: Pick<RaCaPort, 'certBySerial'>): Promise<{ sessionId: string; medium: Medium }> {
    return sessions.openSession(this.ctx, input, source, ca)
  }
  sendPhoneCode(sessionId: string, channel: 'sms' | 'ars'): Promise<{ expiresAt: string; to: string }> {
    return sessions.sendPhoneCode(this.ctx, sessionId, channel)
  }
  verifyPhoneCode(sessionId: string, code: string): Promise<void> {
    return sessions.verifyPhoneCode(this.ctx, sessionId, code)
  }
  mediumChallenge(sessionId: string): Promise<{ medium: 'card'; slots: [number, number] } | { medium: 'otp' }> {
    return sessions.mediumChallenge(this.ctx, sessionId)
  }
  verifyMedium(sessionId: string, response: string): Promise<void> {
    return sessions.verifyMedium(this.ctx, sessionId, response)
  }
  /** Session state for the UI (which steps are done); never secrets. */
  sessionState(sessionId: string): Promise<{ purpose: SessionPurpose; phoneVerified: boolean; mediumVerified: boolean; expiresAt: string }> {
    return sessions.sessionState(this.ctx, sessionId)
  }

  // ---- renewal -----------------------------------------------------------------------------
  /** Allows one kur for this certificate during the next minutes. */
  authorizeRenewal(sessionId: string, serialHex: string, ca: RaCaPort): Promise<{ serialHex: string; expiresAt: string }> {
    return renewal.authorizeRenewal(this.ctx, sessionId, serialHex, ca)
  }
  isRenewalAuthorized(serialHex: string): Promise<boolean> {
    return renewal.isRenewalAuthorized(this.ctx, serialHex)
  }
  consumeRenewalAuthorization(serialHex: string): Promise<void> {
    return renewal.consumeRenewalAuthorization(this.ctx, serialHex)
  }
  restoreRenewalAuthorization(serialHex: string): Promise<void> {
    return renewal.restoreRenewalAuthorization(this.ctx, serialHex)
  }

  // ---- revocation --------------------------------------------------------------------------
  revoke(sessionId: string, serialHex: string, reason: unknown, ca: RaCaPort): Promise<{ serialHex: string }> {
    return revocation.revoke(this.ctx, sessionId, serialHex, reason, ca)
  }

  // ---- 타기관 인증서 등록 ---------------------------------------------------------------------
  registerChallenge(sessionId: string): Promise<{ challenge: string; expiresAt: string }> {
    return registration.registerChallenge(this.ctx, sessionId)
  }
  /** `ca`: this center's CA, whose own certificates are trusted beside the operator's list. */
  registerForeignCert(
    sessionId: string,
    input: { certDer: Uint8Array; signature: Uint8Array; randomNum: Uint8Array },
    ca?: Pick<CaFacade, 'caCertDer'>,
  ): Promise<{ subject: string; issuer: string; serialHex: string; notAfter: string }> {
    return registration.registerForeignCert(this.ctx, sessionId, input, ca?.caCertDer())
  }
  /** The operator's trust list for 타기관 인증서 등록 (`certmgr center trust`). */
  addTrustedCa(certDer: Uint8Array): Promise<trust.TrustedCa> {
    return trust.addTrustedCa(this.ctx, certDer)
  }
  listTrustedCas(): Promise<trust.TrustedCa[]> {
    return trust.listTrustedCas(this.ctx)
  }
  removeTrustedCa(fingerprint: string): Promise<void> {
    return trust.removeTrustedCa(this.ctx, fingerprint)
  }

  foreignCerts(customerId: string): Promise<{ issuer: string; serialHex: string; subject: string; notAfter: string }[]> {
    return registration.foreignCerts(this.ctx, customerId)
  }

  // ---- outbox and info -----------------------------------------------------------------------
  /** The embedded center's "phone": newest messages first. */
  outbox(limit = 20): Promise<OutboxEntry[]> {
    return readOutbox(this.ctx.db, limit)
  }

  info(): { name: string; fees: RaFees; renewalWindowDays: number; renewalCheck: 'ra' | 'signature'; media: Medium[] } {
    return { name: this.ctx.name, fees: { ...this.ctx.fees }, renewalWindowDays: this.ctx.renewalWindowDays, renewalCheck: this.ctx.renewalCheck(), media: ['card', 'otp'] }
  }
}
