import { z } from 'zod'
import { call } from './define'

// The token area: certificates and keys on a PKCS#11 security token.

const Id = z.string().min(1).max(128)
const Password = z.string().min(1).max(256)
const Pin = z.string().min(1).max(256)
const Hex = z.string().regex(/^([0-9a-fA-F]{2}){1,64}$/)

export const TokenCert = z.object({
  idHex: z.string(),
  label: z.string(),
  serialHex: z.string(),
  owner: z.string(),
  subjectDn: z.string(),
  issuerName: z.string(),
  notAfter: z.string(),
  hasPrivateKey: z.boolean(),
})

const TokenTarget = { module: z.string().min(1).max(4096).optional(), slot: z.string().regex(/^[0-9a-fA-F]{2,32}$/), pin: Pin }

export const tokenCalls = {
  'token.list': call(z.object(TokenTarget).strict(), z.object({ certs: z.array(TokenCert) })),
  // The key is decrypted with the certificate password in main and created on the token as a non-extractable object.
  'token.import': call(z.object({ ...TokenTarget, certId: Id, password: Password }).strict(), z.object({ idHex: z.string(), outcome: z.enum(['imported', 'identical']) })),
  'token.delete': call(z.object({ ...TokenTarget, idHex: Hex }).strict(), z.object({ removed: z.number().int() })),
  // For issuance: the private key is generated on the token; only the public key comes back.
  'token.keygen': call(z.object({ ...TokenTarget, label: z.string().min(1).max(64).optional() }).strict(), z.object({ idHex: z.string(), spkiDerBase64: z.string() })),
}
