import { z } from 'zod'
import { call } from './define'
import { CertType } from './center'

/** Where a new certificate is saved (저장 위치). */
export const Destination = z.discriminatedUnion('kind', [
  /** 하드디스크: the OS's main NPKI folder (or a configured root). */
  z.object({ kind: z.literal('pc'), root: z.string().optional() }),
  /** 이동식디스크: a drive's NPKI root, from 'storage.locations'. */
  z.object({ kind: z.literal('usb'), root: z.string() }),
  /**
   * 보안토큰: a slot from 'storage.locations' (its hex slot id, and module) and the user PIN;
   * the key pair is generated on the token and the certificate stored beside it.
   */
  z.object({ kind: z.literal('token'), module: z.string().min(1).max(4096).optional(), slot: z.string().regex(/^[0-9a-fA-F]{2,32}$/), pin: z.string().min(1).max(256) }),
])
export type Destination = z.infer<typeof Destination>

const Password = z.string().min(1).max(64)
const OpId = z.string().min(1).max(64)

/** What the 완료 screen shows. */
export const EnrollResult = z.object({
  certId: z.string(),
  owner: z.string(),
  kind: z.enum(['general', 'limited', 'corporate', 'other']),
  issuerName: z.string(),
  serialHex: z.string(),
  notAfter: z.string(),
  location: z.enum(['pc', 'usb', 'token', 'file']),
  path: z.string(),
  /** Reissue: the previous certificate's serial the center revoked. */
  revokedSerialHex: z.string().optional(),
  feeKrw: z.number().optional(),
  /** 보안토큰: the token's label and the CKA_ID the key, certificate and randomNum share. */
  token: z.object({ label: z.string(), idHex: z.string() }).optional(),
})

/**
 * The CMP side of the wizards. Each runs with progress events (stages 'keygen', 'request',
 * 'confirm', 'save') under the caller's opId; `enroll.cancel` stops one, and a key generated
 * for a request that was never confirmed is destroyed (on a token too).
 */
export const enrollCalls = {
  /**
   * 발급 / 재발급: RA session verified → codes (kept in main) → key → ir → certConf → save.
   * The certificate password is required for 하드디스크 / 이동식디스크 and not used for a token
   * (its PIN guards the key there).
   */
  'enroll.issue': call(
    z.object({ opId: OpId, sessionId: z.string(), certType: CertType, destination: Destination, password: Password.optional() }).strict(),
    EnrollResult,
    { progress: true },
  ),
  /**
   * 갱신: the old key opens with its password; RA renewal authorization; kur; replace in place.
   * A certificate on a security token (certId 'token:<id>', from 'token.list') takes `token`
   * (its slot and PIN) instead of a password: the new key pair is made on the token.
   */
  'enroll.renew': call(
    z
      .object({
        opId: OpId,
        sessionId: z.string(),
        certId: z.string(),
        password: Password.optional(),
        token: z.object({ module: z.string().min(1).max(4096).optional(), slot: z.string().regex(/^[0-9a-fA-F]{2,32}$/), pin: z.string().min(1).max(256) }).strict().optional(),
      })
      .strict(),
    EnrollResult,
    { progress: true },
  ),
  /** 타기관 인증서 등록: signature with that certificate + VID check at the RA. */
  'enroll.registerForeign': call(
    z.object({ sessionId: z.string(), certId: z.string(), password: Password }).strict(),
    z.object({ subject: z.string(), issuer: z.string(), serialHex: z.string(), notAfter: z.string() }),
  ),
  /** Stops the enrollment running under opId (a PFX import or export has 'pfx.cancel'). */
  'enroll.cancel': call(z.object({ opId: OpId }).strict(), z.object({ cancelled: z.boolean() })),
}
