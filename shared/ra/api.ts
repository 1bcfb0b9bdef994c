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

/**
 * Every call of the RA's API as the client makes it: method, path (below `/ra/sessions/<id>`
 * for the steps of a session), the body's schema and the answer's schema. The client
 * (core/enroll/ra-client.ts) takes a call's name, so the type a caller gets is the schema's
 * output and the body it sends is the schema's input: no caller names a type of its own.
 */
export const raCalls = {
  info: { method: 'GET', path: '/ra/info', response: raResponse.info },
  outbox: { method: 'GET', path: '/ra/outbox', response: raResponse.outbox },
  customers: { method: 'POST', path: '/ra/customers', request: raRequest.customers, response: raResponse.customers },
  sessions: { method: 'POST', path: '/ra/sessions', request: raRequest.sessions, response: raResponse.sessions },
  sessionState: { method: 'GET', session: '', response: raResponse.sessionState },
  phone: { method: 'POST', session: '/phone', request: raRequest.phone, response: raResponse.phone },
  phoneVerify: { method: 'POST', session: '/phone/verify', request: raRequest.phoneVerify, response: raResponse.verified },
  mediumChallenge: { method: 'POST', session: '/medium/challenge', request: raRequest.mediumChallenge, response: raResponse.mediumChallenge },
  mediumVerify: { method: 'POST', session: '/medium/verify', request: raRequest.mediumVerify, response: raResponse.verified },
  codes: { method: 'POST', session: '/codes', request: raRequest.codes, response: raResponse.codes },
  renewal: { method: 'POST', session: '/renewal', request: raRequest.renewal, response: raResponse.renewal },
  revoke: { method: 'POST', session: '/revoke', request: raRequest.revoke, response: raResponse.revoke },
  registerChallenge: { method: 'POST', session: '/register/challenge', request: raRequest.registerChallenge, response: raResponse.registerChallenge },
  register: { method: 'POST', session: '/register', request: raRequest.register, response: raResponse.register },
} as const satisfies Record<string, { method: 'GET' | 'POST'; response: z.ZodType; request?: z.ZodType } & ({ path: string } | { session: string })>

export type RaCall = keyof typeof raCalls
type CallSpec<N extends RaCall> = (typeof raCalls)[N]

/** What a call answers: its schema's output. */
export type RaAnswer<N extends RaCall> = z.output<CallSpec<N>['response']>

/** What a call takes: the session it belongs to (for a session's steps) and the body its schema accepts (for a POST). */
export type RaCallArgs<N extends RaCall> = (CallSpec<N> extends { session: string } ? { sessionId: string } : { sessionId?: never }) &
  (CallSpec<N> extends { request: infer S extends z.ZodType } ? { body: z.input<S> } : { body?: never })

/** The path of a call, with the session id encoded into it. */
export function raCallPath(name: RaCall, sessionId?: string): string {
  const spec: { path?: string; session?: string } = raCalls[name]
  if (spec.path !== undefined) return spec.path
  if (!sessionId) throw new Error(`the RA call ${name} needs a session`)
  return `/ra/sessions/${encodeURIComponent(sessionId)}${spec.session ?? ''}`
}
