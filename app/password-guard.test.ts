import { describe, expect, it } from 'vitest'
import type { ZodType } from 'zod'
import { contract } from '../shared/contract/index'
import { NEW_PASSWORD_ONLY_CALLS, PASSWORD_CALLS, PasswordGuard, attemptOutcome, passwordAttemptKey, passwordCallGuard } from './password-guard'
import { certErrorOf } from '../tests/helpers/cert-error'

function clock(start = 1_700_000_000_000) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) }
  return c
}

async function wrong(g: PasswordGuard, key: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) (await g.admit(key)).settle('wrong')
}

describe('PasswordGuard', () => {
  it('admits four wrong passwords, locks at the fifth, and says how long to wait', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 4)
    expect(g.failures('a')).toBe(4)
    expect(g.retryAfterSeconds('a')).toBe(0)
    await wrong(g, 'a')
    const err = await certErrorOf(g.admit('a'))
    expect(err.code).toBe('TOO_MANY_ATTEMPTS')
    expect(err.params).toEqual({ retryAfterSeconds: 30 })
    c.advance(12_500)
    expect((await certErrorOf(g.admit('a'))).params).toEqual({ retryAfterSeconds: 18 })
  })

  it('doubles the wait for each wrong password after a lock, up to 15 minutes', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 5)
    const waits: number[] = []
    for (let i = 0; i < 7; i++) {
      const s = g.retryAfterSeconds('a')
      waits.push(s)
      c.advance(s * 1000)
      await wrong(g, 'a')
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900])
  })

  it('forgets the count on a right password', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 4)
    ;(await g.admit('a')).settle('right')
    expect(g.failures('a')).toBe(0)
    await wrong(g, 'a', 4)
    await expect(g.admit('a')).resolves.toBeDefined()
  })

  it('after a lock runs out, a right password resets it completely', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 5)
    c.advance(30_000)
    ;(await g.admit('a')).settle('right')
    await wrong(g, 'a', 4)
    expect(g.retryAfterSeconds('a')).toBe(0)
  })

  it('neither counts nor forgives other failures', async () => {
    const g = new PasswordGuard({ now: clock().now })
    await wrong(g, 'a', 3)
    ;(await g.admit('a')).settle('other')
    expect(g.failures('a')).toBe(3)
  })

  it('keeps each certificate’s count apart', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 5)
    await expect(g.admit('a')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' })
    const b = await g.admit('b')
    b.settle('wrong')
    expect(g.failures('b')).toBe(1)
    expect(g.retryAfterSeconds('b')).toBe(0)
  })

  it('lets no more parallel attempts through than could fail before the limit', async () => {
    const g = new PasswordGuard({ now: clock().now })
    await wrong(g, 'a', 3)
    const first = await g.admit('a')
    const second = await g.admit('a')
    let thirdIn = false
    const third = g.admit('a').then((a) => {
      thirdIn = true
      return a
    })
    await new Promise((r) => setTimeout(r, 10))
    expect(thirdIn).toBe(false)
    first.settle('wrong')
    second.settle('wrong')
    // Five wrong now: the waiting attempt is refused instead of running.
    await expect(third).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' })
  })

  it('lets a waiting attempt run once one in flight turns out right', async () => {
    const g = new PasswordGuard({ now: clock().now })
    await wrong(g, 'a', 4)
    const first = await g.admit('a')
    const second = g.admit('a')
    first.settle('right')
    const a = await second
    a.settle('wrong')
    expect(g.failures('a')).toBe(1)
  })

  it('forgets wrong passwords after a quiet day', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now })
    await wrong(g, 'a', 4)
    c.advance(24 * 60 * 60_000 + 1)
    expect(g.failures('a')).toBe(0)
    await wrong(g, 'a', 4)
    expect(g.retryAfterSeconds('a')).toBe(0)
  })

  it('ignores a second settle of the same attempt', async () => {
    const g = new PasswordGuard({ now: clock().now })
    const a = await g.admit('a')
    a.settle('wrong')
    a.settle('wrong')
    expect(g.failures('a')).toBe(1)
  })

  it('takes its limit and delays from options', async () => {
    const c = clock()
    const g = new PasswordGuard({ now: c.now, limit: 2, firstDelayMs: 1000, maxDelayMs: 3000 })
    await wrong(g, 'a', 2)
    expect(g.retryAfterSeconds('a')).toBe(1)
    c.advance(1000)
    await wrong(g, 'a')
    expect(g.retryAfterSeconds('a')).toBe(2)
    c.advance(2000)
    await wrong(g, 'a')
    expect(g.retryAfterSeconds('a')).toBe(3)
  })
})

describe('which calls are password attempts', () => {
  it('counts per certificate where the request names one, per call otherwise', () => {
    expect(passwordAttemptKey('keys.checkPassword', { certId: 'c1', password: 'x' })).toBe('cert:c1')
    expect(passwordAttemptKey('keys.changePassword', { certId: 'c1', oldPassword: 'x', newPassword: 'y' })).toBe('cert:c1')
    expect(passwordAttemptKey('pfx.import', { path: '/a.pfx', pfxPassword: 'x' })).toBe('call:pfx.import')
    expect(passwordAttemptKey('pfx.import', { path: '/b.pfx', pfxPassword: 'x' })).toBe('call:pfx.import')
    expect(passwordAttemptKey('transfer.saveReceived', { sessionId: 's', password: '' })).toBe('call:transfer.saveReceived')
    expect(passwordAttemptKey('transfer.startSend', { certId: 'c1', format: 'pfx', password: 'x' })).toBe('cert:c1')
    // Sending the folder as it is hands over the key too: counted like the rest (finding 7).
    expect(passwordAttemptKey('transfer.startSend', { certId: 'c1', format: 'npki', password: 'x' })).toBe('cert:c1')
    expect(passwordAttemptKey('certs.list', {})).toBeUndefined()
    expect(passwordAttemptKey('enroll.issue', { password: 'x' })).toBeUndefined()
    expect(passwordAttemptKey('constructor', {})).toBeUndefined()
  })

  it('classifies every call in the contract whose request carries a password', () => {
    const shapeKeys = (schema: ZodType): string[] => {
      const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape
      return shape ? Object.keys(shape) : []
    }
    const withPassword = Object.entries(contract)
      .filter(([, def]) => shapeKeys(def.request).some((k) => /password/i.test(k)))
      .map(([name]) => name)
    expect(withPassword.length).toBeGreaterThan(5)
    // A new call that takes a password must be counted (PASSWORD_CALLS) or shown to only set one.
    for (const name of withPassword) expect(name in PASSWORD_CALLS || NEW_PASSWORD_ONLY_CALLS.includes(name), name).toBe(true)
    for (const name of Object.keys(PASSWORD_CALLS)) expect(withPassword, name).toContain(name)
  })

  it('reads a wrong password from WRONG_PASSWORD or checkPassword’s answer', () => {
    expect(attemptOutcome('pfx.export', { ok: false, error: { code: 'WRONG_PASSWORD', message: 'x' } })).toBe('wrong')
    expect(attemptOutcome('pfx.export', { ok: false, error: { code: 'IO', message: 'x' } })).toBe('other')
    expect(attemptOutcome('pfx.export', { ok: true, value: {} })).toBe('right')
    expect(attemptOutcome('keys.checkPassword', { ok: true, value: { valid: false } })).toBe('wrong')
    expect(attemptOutcome('keys.checkPassword', { ok: true, value: { valid: true } })).toBe('right')
  })

  it('leaves other calls alone and refuses a locked certificate’s calls before they run', async () => {
    const c = clock()
    const hook = passwordCallGuard(new PasswordGuard({ now: c.now }))
    expect(await hook.enter('certs.list', {})).toBeUndefined()
    for (let i = 0; i < 5; i++) (await hook.enter('keys.verifyIdentity', { certId: 'c1', password: 'x', idn: '1' }))!({ ok: false, error: { code: 'WRONG_PASSWORD', message: 'x' } })
    await expect(hook.enter('pfx.export', { certId: 'c1', password: 'x' })).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS', params: { retryAfterSeconds: 30 } })
    // Sending the folder as it is hands over the key as well: held back like every other key export.
    await expect(hook.enter('transfer.startSend', { certId: 'c1', format: 'npki', password: 'x' })).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' })
    expect(await hook.enter('keys.checkPassword', { certId: 'c2', password: 'x' })).toBeTypeOf('function')
  })
})
