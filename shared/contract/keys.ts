import { z } from 'zod'
import { call, OpId } from './define'

// Passwords are bounded generously: old keys may carry long or odd passwords; the NPKI rule
// for new ones is checked by the service (PASSWORD_RULE) so the UI gets the rule name back.
const CertId = z.string().min(1).max(128)
const Password = z.string().min(1).max(1024)

export const VidResult = z.enum(['match', 'mismatch', 'no-vid'])
export type VidResult = z.infer<typeof VidResult>

export const keysCalls = {
  /** Whether the password opens the certificate's private key. */
  'keys.checkPassword': call(z.object({ certId: CertId, password: Password }), z.object({ valid: z.boolean() })),
  /** Re-encrypts signPri.key (and kmPri.key) under a new password that must pass the NPKI rule. */
  // With an opId it reports its stages and 'keys.cancel' stops it before the key files are swapped.
  'keys.changePassword': call(
    z.object({ opId: OpId, certId: CertId, oldPassword: Password, newPassword: Password }),
    z.object({ ok: z.literal(true), km: z.enum(['changed', 'absent', 'skipped']) }),
    { progress: true },
  ),
  /** Stops the password change running under opId; only that (each area has its own cancel). */
  'keys.cancel': call(z.object({ opId: z.string().min(1).max(64) }).strict(), z.object({ cancelled: z.boolean() })),
  /** 본인확인: checks the certificate's VID against a 13-digit resident number. */
  'keys.verifyIdentity': call(z.object({ certId: CertId, password: Password, idn: z.string().min(1).max(32) }), z.object({ result: VidResult })),
}
