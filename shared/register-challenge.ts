/**
 * What a certificate signs when it is registered with a center (타기관 인증서 등록): the center's
 * 32-byte challenge behind a fixed label, so the signature can never double as a signature over
 * anything else (a bank transaction, a login) a hostile center might slip in as a "challenge".
 */
export const REGISTER_LABEL = 'certmgr-register-v1\0'
export const REGISTER_CHALLENGE_BYTES = 32

export function registrationSignedData(challenge: Uint8Array): Uint8Array {
  const label = new TextEncoder().encode(REGISTER_LABEL)
  const out = new Uint8Array(label.length + challenge.length)
  out.set(label)
  out.set(challenge, label.length)
  return out
}
