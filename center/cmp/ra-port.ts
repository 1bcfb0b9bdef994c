import type { InStatement, ResultSet } from '@libsql/client'
import type { CertType } from '../ca/facade'

export interface RaEnrollment {
  authCode: string
  customerId: string
  certType: CertType
  purpose: 'issue' | 'reissue'
  customer?: RaCustomer
}

export interface RaCustomer {
  id: string
  name: string
  idn: string
  phone: string
  bankCode: string
}

/**
 * The part of the RA (center/ra/ra.ts `Ra`) that the CMP server calls. Kept as an interface so
 * the CMP server depends on behaviour, not on the RA's storage.
 */
export interface RaPort {
  /**
   * The enrollment of a reference: a statement, which the CMP server sends together with its own
   * reads (one round trip), and the reading of its result: undefined when unknown, expired, used
   * or locked. `customer` saves a getCustomer round trip when the RA can give it at once.
   */
  enrollmentQuery(reference: string): { statement: InStatement; read(rs: ResultSet): Promise<RaEnrollment | undefined> }
  recordEnrollmentFailure(reference: string): Promise<void>
  /**
   * The atomic claim on the reference, and with `fee` the charge, as statements for the
   * issuance's own batch (they commit with the certificate or not at all). Their guards:
   * 'reference' when the reference was already used (then call enrollmentClaimRefused),
   * 'balance' when the fee cannot be paid (then chargeRefused gives the error to answer).
   */
  enrollmentSpending(reference: string, fee?: { customerId: string; amountKrw: number; memo: string }): InStatement[]
  enrollmentClaimRefused(reference: string): Promise<void>
  /** The error (CertError CENTER reason 'balance', or NOT_FOUND) after a failed 'balance' guard, audited. */
  chargeRefused(customerId: string, amountKrw: number): Promise<Error>
  releaseEnrollment(reference: string): Promise<void>
  /** The authorization code of a reference (used or not), for the PBM of its transaction's follow-up messages. */
  enrollmentSecret(reference: string): Promise<string | undefined>
  getCustomer(customerId: string): Promise<RaCustomer | undefined>
  /** Throws CertError('CENTER', ..., { reason: 'balance' }) when the balance is short. */
  charge(customerId: string, amountKrw: number, memo: string): Promise<void>
  /** Credits back a fee charged for a certificate that was never activated. */
  refund(customerId: string, amountKrw: number, memo: string): Promise<void>
  isRenewalAuthorized(serialHex: string): Promise<boolean>
  consumeRenewalAuthorization(serialHex: string): Promise<void>
  /** Undoes consumeRenewalAuthorization when the renewed certificate was rejected at certConf. */
  restoreRenewalAuthorization(serialHex: string): Promise<void>
}
