import { deleteFromToken, generateTokenKey, signWithToken, storeCertOnToken, type SessionOptions, type TokenRef } from '../token/pkcs11'
import { issue, type IssueRequest, type IssueResult } from './cmp-client'

/** Label of a key pair generated for a request not yet confirmed; the certificate's owner replaces it. */
export const PENDING_KEY_LABEL = 'certmgr pending'

export interface TokenIssueOptions {
  ref: TokenRef
  pin: string
  session?: SessionOptions
  /** Sent in regInfo so the center builds a VID, and kept on the token beside the key. */
  randomNum?: Uint8Array
  bits?: number
  signal?: AbortSignal
}

/**
 * 발급 onto a PKCS#11 token: the key pair is generated on the token (the private key never
 * leaves it), the ir's proof of possession is signed there, and the issued certificate (with
 * the randomNum) is stored beside the key before certConf. Until the center confirmed, any
 * failure or cancel destroys the key pair and whatever was stored with it.
 *
 * `request` runs after key generation (so a wrong PIN fails before, say, an RA hands out
 * one-time codes) and gives the CMP settings; its `beforeConfirm` runs before the certificate
 * is stored on the token.
 */
export async function issueOntoToken(t: TokenIssueOptions, request: () => Promise<IssueRequest>): Promise<IssueResult & { idHex: string }> {
  const key = await generateTokenKey(t.ref, t.pin, { label: PENDING_KEY_LABEL, bits: t.bits }, t.session)
  let confirmed = false
  try {
    t.signal?.throwIfAborted()
    const o = await request()
    t.signal?.throwIfAborted()
    const r = await issue({
      ...o,
      signal: o.signal ?? t.signal,
      randomNum: t.randomNum,
      key: { publicKeySpki: key.spkiDer, algorithm: 'rsa-sha256', sign: (data) => signWithToken(t.ref, t.pin, key.idHex, data, t.session) },
      beforeConfirm: async (certDer) => {
        await o.beforeConfirm?.(certDer)
        await storeCertOnToken(t.ref, t.pin, { certDer, idHex: key.idHex, randomNum: t.randomNum }, t.session)
      },
    })
    confirmed = true
    return { ...r, idHex: key.idHex }
  } finally {
    // Never confirmed: the center does not activate the certificate, so the key pair (and the
    // certificate and randomNum stored with it) must not stay on the token.
    if (!confirmed) await deleteFromToken(t.ref, t.pin, key.idHex, t.session).catch(() => undefined)
  }
}
