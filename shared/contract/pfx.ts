import { z } from 'zod'
import { call, OpId } from './define'

// PKCS#12 (PFX) export and import. Passwords go in; only paths and facts come back, never key
// bytes. The NPKI rule for a new key password is checked by the service (PASSWORD_RULE).
const CertId = z.string().min(1).max(128)
const Password = z.string().min(1).max(1024)
const FilePath = z.string().min(1).max(4096)
/** A PFX file's bytes in base64: a real one is a few KB; 1 MB of base64 bounds a hostile one. */
const PfxBase64 = z.string().min(4).max(1_048_576).regex(/^[A-Za-z0-9+/]+={0,2}$/)

export const PfxProfile = z.enum(['modern', 'compatible'])
export type PfxProfile = z.infer<typeof PfxProfile>

export const PfxImportOutcome = z.enum(['created', 'replaced', 'identical'])

export const pfxCalls = {
  /**
   * Writes the certificate's signing pair as a PFX at outPath (an absolute path, usually from a
   * save dialog). pfxPassword defaults to the certificate password; a different one must pass
   * the NPKI rule (PASSWORD_RULE). An existing file there is a CONFLICT (reason file-exists),
   * left untouched, unless overwrite is set (after the user confirmed). `modern`: AES-256 +
   * HMAC-SHA256 (OpenSSL 3 layout); `compatible`: 3DES + SHA-1 MAC for older Windows, macOS,
   * Android and Korean bank software.
   * With an opId, its stages report progress ('pfx-export', fraction of the stages passed) and
   * 'pfx.cancel' with that opId stops it before the file is written (CANCELLED, nothing written).
   */
  'pfx.export': call(
    z.object({ opId: OpId, certId: CertId, password: Password, pfxPassword: Password.optional(), profile: PfxProfile, outPath: FilePath, overwrite: z.boolean().optional() }),
    z.object({ path: z.string(), profile: PfxProfile, hasRandomNum: z.boolean() }),
    { progress: true },
  ),
  /**
   * Imports a PFX into an NPKI root (default: the computer's main NPKI folder) as
   * signCert.der + signPri.key. keyPassword defaults to the PFX password; a different one must
   * pass the NPKI rule. An existing different certificate is a CONFLICT unless replace is set.
   * PFX files with an empty password exist, so pfxPassword may be empty.
   * With an opId, the key derivation reports progress (stage 'pfx-kdf', fraction of the rounds
   * asked so far) and 'pfx.cancel' with that opId stops it (CANCELLED, nothing imported).
   */
  'pfx.import': call(
    z
      .object({
        opId: OpId,
        path: FilePath.optional(),
        // Or the file's bytes, where the page has them but not a path (a file dropped on the
        // browser host): a PFX is encrypted under its password, so its bytes may cross the page.
        dataBase64: PfxBase64.optional(),
        pfxPassword: z.string().max(1024),
        keyPassword: Password.optional(),
        root: FilePath.optional(),
        replace: z.boolean().optional(),
      })
      .refine((r) => (r.path === undefined) !== (r.dataBase64 === undefined), { message: 'give either path or dataBase64' }),
    z.object({ folder: z.string(), certId: z.string(), outcome: PfxImportOutcome, hasRandomNum: z.boolean() }),
    { progress: true },
  ),
  /**
   * Stops the PFX import or export running under opId; only those: an enrollment has its own
   * cancel ('enroll.cancel'), so one call never stops another area's operation.
   */
  'pfx.cancel': call(z.object({ opId: z.string().min(1).max(64) }).strict(), z.object({ cancelled: z.boolean() })),
}
