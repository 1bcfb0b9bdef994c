import type { CertType } from '../ca/facade'

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
  /** undefined when unknown, expired, used or locked. `customer` saves a getCustomer round trip when the RA can give it at once. */
  lookupEnrollment(reference: string): Promise<{ authCode: string; customerId: string; certType: CertType; purpose: 'issue' | 'reissue'; customer?: RaCustomer } | undefined>
  recordEnrollmentFailure(reference: string): Promise<void>
  /** Atomically marks the reference used; false when it already was. */
  consumeEnrollment(reference: string): Promise<boolean>
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
