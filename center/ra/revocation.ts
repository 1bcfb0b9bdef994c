import type { RevocationReason } from '../ca/facade'
import { bad, str, type RaCaPort, type RaContext } from './ra-context'
import { ownedCert, requireSteps, session } from './sessions'

const REVOCATION_NAMES: Record<string, RevocationReason> = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
}

export function revocationReason(input: unknown): RevocationReason {
  if (typeof input === 'number' && [0, 1, 2, 3, 4, 5, 6, 8, 9, 10].includes(input)) return input as RevocationReason
  if (typeof input === 'string' && input in REVOCATION_NAMES) return REVOCATION_NAMES[input] as RevocationReason
  throw bad('reason', 'unknown revocation reason')
}

export async function revoke(ctx: RaContext, sessionId: string, serialHex: string, reason: unknown, ca: RaCaPort): Promise<{ serialHex: string }> {
  const code = revocationReason(reason ?? 0)
  const s = await session(ctx, sessionId)
  requireSteps(s, ['revoke'], { phone: true, medium: true })
  const { serial } = await ownedCert(ctx, s, serialHex, ca)
  await ca.revokeSerial(serial, code)
  await ctx.audit('customer', 'cert.revoke', 'ok', { customerId: str(s.customer_id), sessionId }, { serialHex: serial, reason: code })
  return { serialHex: serial }
}
