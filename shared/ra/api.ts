import { z } from 'zod'
import { ERROR_CODES } from '../errors'

/**
 * The RA's JSON API (center/ra/http.ts) as schemas: the center parses every request body with
 * them, and the client (core/enroll/ra-client.ts) checks every answer, so neither side trusts
 * a cast. A body or an answer outside them is refused with BAD_REQUEST / CENTER, reason 'body'.
 */

const text = z.string().min(1).max(4096)
/** Optional fields may also come as null (older clients send it). */
const optText = text.nullish().transform((v) => v ?? undefined)
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64').max(65536)
const isoTime = z.string().min(1)

export const SESSION_PURPOSES = ['issue', 'reissue', 'renew', 'revoke', 'register'] as const
export const CERT_TYPES = ['limited', 'general'] as const
export const MEDIA = ['card', 'otp'] as const

/** Request bodies, by route. */
export const raRequest = {
  customers: z.object({ name: text, idn: text, phone: text, account: optText, medium: z.enum(MEDIA).nullish().transform((v) => v ?? undefined) }),
  sessions: z.object({ name: optText, idn: optText, account: text, purpose: z.enum(SESSION_PURPOSES), serialHex: optText }),
  phone: z.object({ channel: z.enum(['sms', 'ars']).nullish().transform((v) => v ?? undefined) }),
  phoneVerify: z.object({ code: text }),
  mediumChallenge: z.object({}),
  mediumVerify: z.object({ response: text }),
  codes: z.object({ certType: z.enum(CERT_TYPES) }),
  renewal: z.object({ serialHex: text }),
  /** reason: an RFC 5280 reason name or number (the RA judges which). */
  revoke: z.object({ serialHex: text, reason: z.union([z.string().max(64), z.number()]).optional() }),
  registerChallenge: z.object({}),
  register: z.object({ certDer: base64, signature: base64, randomNum: base64 }),
}

/** Answers, by route (fields a newer center adds pass through). */
export const raResponse = {
  info: z.looseObject({
    name: z.string(),
    fees: z.looseObject({ limited: z.number(), general: z.number() }),
    renewalWindowDays: z.number(),
    renewalCheck: z.enum(['ra', 'signature']).optional(),
    media: z.array(z.enum(MEDIA)).optional(),
  }),
  outbox: z.looseObject({ messages: z.array(z.looseObject({ id: z.number().optional(), at: z.string(), to: z.string(), channel: z.enum(['sms', 'ars']), text: z.string() })) }),
  customers: z.looseObject({
    customerId: z.string(),
    account: z.string(),
    medium: z.enum(MEDIA),
    card: z.looseObject({ serial: z.string(), slots: z.array(z.string()) }).optional(),
    otpUri: z.string().optional(),
  }),
  sessions: z.looseObject({ sessionId: z.string().min(1), medium: z.enum(MEDIA) }),
  sessionState: z.looseObject({ purpose: z.enum(SESSION_PURPOSES), phoneVerified: z.boolean(), mediumVerified: z.boolean(), expiresAt: isoTime }),
  phone: z.looseObject({ expiresAt: isoTime, to: z.string() }),
  verified: z.looseObject({ verified: z.literal(true) }),
  mediumChallenge: z.union([z.looseObject({ medium: z.literal('card'), slots: z.tuple([z.number().int(), z.number().int()]) }), z.looseObject({ medium: z.literal('otp') })]),
  codes: z.looseObject({ reference: z.string().min(1), authCode: z.string().min(1), expiresAt: isoTime, feeKrw: z.number() }),
  renewal: z.looseObject({ serialHex: z.string(), expiresAt: isoTime }),
  revoke: z.looseObject({ serialHex: z.string() }),
  registerChallenge: z.looseObject({ challenge: base64, expiresAt: isoTime }),
  register: z.looseObject({ subject: z.string(), issuer: z.string(), serialHex: z.string(), notAfter: z.string() }),
  error: z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string().max(2000),
      params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    }),
  }),
}

export type RaRoute = Exclude<keyof typeof raResponse, 'error'>

/**
 * Which answer a request gets: method and path (below /ra) to its route, so the client checks
 * every answer without each caller naming a schema. Undefined for a path the RA does not have.
 */
export function raRouteOf(method: 'GET' | 'POST', path: string): RaRoute | undefined {
  const parts = path.split('?')[0]!.split('/').filter((p) => p !== '')
  if (parts[0] !== 'ra') return undefined
  const [, head, id, ...rest] = parts
  const route = rest.join('/')
  if (parts.length === 2) {
    if (head === 'info' && method === 'GET') return 'info'
    if (head === 'outbox' && method === 'GET') return 'outbox'
    if (head === 'customers' && method === 'POST') return 'customers'
    if (head === 'sessions' && method === 'POST') return 'sessions'
    return undefined
  }
  if (head !== 'sessions' || !id) return undefined
  if (route === '' && method === 'GET') return 'sessionState'
  if (route === 'register/challenge') return 'registerChallenge'
  if (method !== 'POST') return undefined
  const byRoute: Record<string, RaRoute> = {
    phone: 'phone',
    'phone/verify': 'verified',
    'medium/challenge': 'mediumChallenge',
    'medium/verify': 'verified',
    codes: 'codes',
    renewal: 'renewal',
    revoke: 'revoke',
    register: 'register',
  }
  return byRoute[route]
}
