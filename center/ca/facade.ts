import type { CERT_TYPES } from '../../shared/ra/api'

/**
 * What the RA side may ask of the CA. The RA never touches CA keys or the certificate table
 * directly; everything goes through this facade so the CA can keep its invariants (one valid
 * certificate per customer and type, CRL regenerated on every revocation).
 */

/** RFC 5280 CRLReason values the CA accepts (7 is unused by the standard). */
export type RevocationReason = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 8 | 9 | 10

/** The certificate types of the RA's API (shared/ra/api.ts), so the CA and the schema cannot drift. */
export type CertType = (typeof CERT_TYPES)[number]

/** 'pending' = issued but not yet confirmed by certConf; never treated as valid. */
export type CertStatus = 'pending' | 'active' | 'revoked' | 'expired'

export interface CaFacade {
  /** Revokes a certificate we issued and republishes the CRL. Throws NOT_FOUND for unknown serials. */
  revokeSerial(serialHex: string, reason: RevocationReason): Promise<void>
  /** The customer's currently valid (active, not expired) certificate of that type, if any. */
  findActiveCert(customerId: string, certType: CertType): Promise<{ serialHex: string; certDer: Uint8Array } | undefined>
  certBySerial(serialHex: string): Promise<{ certDer: Uint8Array; status: CertStatus; customerId: string; certType: CertType } | undefined>
  caCertDer(): Uint8Array
}
