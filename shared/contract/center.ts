import { z } from 'zod'
import { call, Empty } from './define'

/**
 * The certification center as the wizards meet it: main proxies the RA's JSON API (the
 * renderer's CSP allows no other origin, and a remote center is only reachable from main).
 * Reference numbers and authorization codes stay in main, keyed by the RA session.
 */
export const CertType = z.enum(['limited', 'general'])
export const Purpose = z.enum(['issue', 'reissue', 'renew', 'revoke', 'register'])
export const Medium = z.enum(['card', 'otp'])

const Idn = z.string().regex(/^\d{6}-?\d{7}$/, 'a 13-digit resident number')
const SessionId = z.string().min(1).max(128)

export const centerCalls = {
  'center.info': call(
    Empty,
    z.object({
      url: z.string(),
      embedded: z.boolean(),
      name: z.string(),
      feesKrw: z.object({ general: z.number(), limited: z.number() }),
      renewalWindowDays: z.number().int(),
      reachable: z.boolean(),
    }),
  ),
  /** Self-registration as a customer of the embedded center (a first-time user). */
  'center.register': call(
    z.object({ name: z.string().min(1).max(64), idn: Idn, phone: z.string().regex(/^01\d-?\d{3,4}-?\d{4}$/), medium: Medium }).strict(),
    z.object({
      customerId: z.string(),
      account: z.string(),
      medium: Medium,
      /** The security card to print (embedded center only): its number and 30-35 slots. */
      card: z.object({ serial: z.string(), slots: z.array(z.string()) }).optional(),
      otpUri: z.string().optional(),
      /** The otpauth URI as a QR code image (data: URL) for an authenticator app. */
      otpQr: z.string().optional(),
    }),
  ),
  /** The embedded center's stand-in for a phone: SMS/ARS messages it "sent" (문자함). */
  'center.outbox': call(Empty, z.object({ messages: z.array(z.object({ at: z.string(), to: z.string(), channel: z.string(), text: z.string() })) })),
  /** 본인 정보: opens an RA session after checking name, resident number and account. */
  /**
   * 갱신 with its certificate (certId) needs only the account: the center knows whose
   * certificate it issued. Every other purpose names the person (name and resident number).
   */
  'center.startSession': call(
    z
      .object({
        name: z.string().min(1).max(64).optional(),
        idn: Idn.optional(),
        account: z.string().min(1).max(32),
        purpose: Purpose,
        certId: z.string().optional(),
        /** A certificate on a security token (certId 'token:<id>') names its serial, as 'token.list' gave it. */
        serialHex: z.string().regex(/^[0-9a-fA-F]{1,40}$/).optional(),
      })
      .strict()
      .refine((r) => (r.purpose === 'renew' && r.certId !== undefined) || (r.name !== undefined && r.idn !== undefined), { message: 'name and resident number are required' }),
    z.object({ sessionId: SessionId, medium: Medium }),
  ),
  'center.sendPhoneCode': call(z.object({ sessionId: SessionId, channel: z.enum(['sms', 'ars']) }).strict(), z.object({ expiresAt: z.string(), to: z.string() })),
  'center.verifyPhone': call(z.object({ sessionId: SessionId, code: z.string().min(1).max(12) }).strict(), z.object({ verified: z.literal(true) })),
  'center.mediumChallenge': call(
    z.object({ sessionId: SessionId }).strict(),
    z.discriminatedUnion('medium', [z.object({ medium: z.literal('card'), slots: z.tuple([z.number().int(), z.number().int()]) }), z.object({ medium: z.literal('otp') })]),
  ),
  'center.verifyMedium': call(z.object({ sessionId: SessionId, response: z.string().min(1).max(16) }).strict(), z.object({ verified: z.literal(true) })),
}
