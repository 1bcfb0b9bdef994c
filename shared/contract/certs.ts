import { z } from 'zod'
import { call } from './define'

export const CertState = z.enum(['valid', 'renewable', 'expired', 'not-yet-valid', 'damaged'])
export const CertKind = z.enum(['general', 'limited', 'corporate', 'other'])
export const LocationKind = z.enum(['pc', 'usb', 'token', 'file'])

/** One row of the certificate list. Metadata only: never key bytes. */
export const CertSummary = z.object({
  id: z.string(),
  location: LocationKind,
  locationLabel: z.string().optional(),
  path: z.string(),
  rootPath: z.string(),
  owner: z.string(),
  subjectDn: z.string(),
  issuerName: z.string(),
  issuerDn: z.string(),
  caFolder: z.string(),
  serialHex: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  daysLeft: z.number().int(),
  state: CertState,
  kind: CertKind,
  policyOid: z.string().optional(),
  damaged: z.string().optional(),
  hasKmPair: z.boolean(),
})
export type CertSummary = z.infer<typeof CertSummary>

export const RootInfo = z.object({ path: z.string(), source: z.string(), location: LocationKind, exists: z.boolean(), found: z.number().int() })

export const CertDetails = CertSummary.extend({
  policyName: z.object({ ko: z.string(), en: z.string() }).optional(),
  keyAlgorithm: z.string(),
  keySize: z.number().int(),
  keyUsage: z.array(z.string()),
  signatureAlgorithm: z.string(),
  sha256: z.string(),
  sha1: z.string(),
  hasVid: z.boolean(),
  files: z.array(z.object({ name: z.string(), path: z.string() })),
})
export type CertDetails = z.infer<typeof CertDetails>


export const certsCalls = {
  'certs.list': call(
    z.object({ rescan: z.boolean().optional() }).strict(),
    // Damaged folders are listed too, with state 'damaged' and the reason: they never break the list.
    z.object({ certs: z.array(CertSummary), roots: z.array(RootInfo) }),
  ),
  'certs.details': call(z.object({ id: z.string().min(1).max(128) }).strict(), CertDetails),
}
