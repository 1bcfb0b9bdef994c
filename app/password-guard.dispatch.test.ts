import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEvent } from '../shared/contract/progress'
import { addPinkCert, PINK_PASSWORD, tempDir } from '../tests/helpers/fixtures'
import { createAppServices, type AppServices } from './app-services'
import { PasswordGuard } from './password-guard'

// The guard as the renderer meets it: every password call goes through the app's one dispatcher.
const clock = { t: 1_700_000_000_000 }
let services: AppServices
let root: string
let dataDir: string
let prevRoots: string | undefined
let first: string
let second: string
const ctx = { emit: (_e: AppEvent) => undefined }

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  root = join(tempDir('certmgr-guard-'), 'NPKI')
  // The same certificate in two folders: two ids, two counts.
  addPinkCert(root)
  addPinkCert(root, { ca: 'yessign2' })
  process.env.CERTMGR_NPKI_ROOTS = root
  dataDir = tempDir('certmgr-guard-data-')
  services = await createAppServices({
    dataDir,
    host: 'web',
    version: 'test',
    watch: false,
    reminders: false,
    embeddedCenter: false,
    passwordGuard: new PasswordGuard({ now: () => clock.t }),
  })
  const list = await services.dispatch('certs.list', {}, ctx)
  if (!list.ok) throw new Error(list.error.message)
  const ids = (list.value as { certs: { id: string }[] }).certs.map((c) => c.id)
  expect(ids).toHaveLength(2)
  ;[first, second] = ids as [string, string]
})

afterAll(async () => {
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
  rmSync(dirname(root), { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

describe('certificate password guessing through the dispatcher', () => {
  it('refuses the sixth try after five wrong passwords, even the right one, until the wait is over', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await services.dispatch('keys.checkPassword', { certId: first, password: `wrong-${i}` }, ctx)).toEqual({ ok: true, value: { valid: false } })
    }
    const refused = await services.dispatch('keys.checkPassword', { certId: first, password: PINK_PASSWORD }, ctx)
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOO_MANY_ATTEMPTS', params: { retryAfterSeconds: 30 } } })
    // Every call that takes the password is held back, not only the one that was guessed with.
    const out = join(dataDir, 'held.pfx')
    expect(await services.dispatch('pfx.export', { certId: first, password: PINK_PASSWORD, profile: 'compatible', outPath: out }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS' },
    })
    expect(await services.dispatch('keys.changePassword', { certId: first, oldPassword: PINK_PASSWORD, newPassword: 'Zq9!x7k2m#' }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS' },
    })
    // Another certificate and calls without a password are not affected.
    expect(await services.dispatch('keys.checkPassword', { certId: second, password: PINK_PASSWORD }, ctx)).toEqual({ ok: true, value: { valid: true } })
    expect((await services.dispatch('certs.list', {}, ctx)).ok).toBe(true)

    clock.t += 20_000
    expect(await services.dispatch('keys.checkPassword', { certId: first, password: PINK_PASSWORD }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS', params: { retryAfterSeconds: 10 } },
    })
    clock.t += 10_000
    expect(await services.dispatch('keys.checkPassword', { certId: first, password: PINK_PASSWORD }, ctx)).toEqual({ ok: true, value: { valid: true } })
    // The right password reset the count: four wrong ones do not lock again.
    for (let i = 0; i < 4; i++) expect(await services.dispatch('keys.checkPassword', { certId: first, password: `again-${i}` }, ctx)).toEqual({ ok: true, value: { valid: false } })
    expect(await services.dispatch('keys.checkPassword', { certId: first, password: PINK_PASSWORD }, ctx)).toEqual({ ok: true, value: { valid: true } })
  })

  it('counts WRONG_PASSWORD from any password call, and doubles the wait after a lock', async () => {
    const wrongChange = { certId: second, oldPassword: 'not-it', newPassword: 'Zq9!x7k2m#' }
    for (let i = 0; i < 3; i++) expect(await services.dispatch('keys.changePassword', wrongChange, ctx)).toMatchObject({ ok: false, error: { code: 'WRONG_PASSWORD' } })
    const badExport = { certId: second, password: 'not-it', profile: 'compatible', outPath: join(dataDir, 'x.pfx') }
    for (let i = 0; i < 2; i++) expect(await services.dispatch('pfx.export', badExport, ctx)).toMatchObject({ ok: false, error: { code: 'WRONG_PASSWORD' } })
    expect(await services.dispatch('keys.verifyIdentity', { certId: second, password: PINK_PASSWORD, idn: '8001011234567' }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS', params: { retryAfterSeconds: 30 } },
    })
    clock.t += 30_000
    expect(await services.dispatch('keys.checkPassword', { certId: second, password: 'still-wrong' }, ctx)).toEqual({ ok: true, value: { valid: false } })
    expect(await services.dispatch('keys.checkPassword', { certId: second, password: PINK_PASSWORD }, ctx)).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_ATTEMPTS', params: { retryAfterSeconds: 60 } },
    })
    clock.t += 60_000
    expect(await services.dispatch('keys.checkPassword', { certId: second, password: PINK_PASSWORD }, ctx)).toEqual({ ok: true, value: { valid: true } })
  })

  it('refuses parallel guesses beyond the limit instead of running them all', async () => {
    const tries = Array.from({ length: 8 }, (_, i) => services.dispatch('keys.checkPassword', { certId: first, password: `burst-${i}` }, ctx))
    const results = await Promise.all(tries)
    expect(results.filter((r) => r.ok)).toHaveLength(5)
    expect(results.filter((r) => !r.ok && r.error.code === 'TOO_MANY_ATTEMPTS')).toHaveLength(3)
    clock.t += 30_000
    expect(await services.dispatch('keys.checkPassword', { certId: first, password: PINK_PASSWORD }, ctx)).toEqual({ ok: true, value: { valid: true } })
  })
})
