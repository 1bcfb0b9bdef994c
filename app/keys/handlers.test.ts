import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { keysCalls } from '../../shared/contract/keys'
import { certIdFor, rememberCerts } from '../../core/certs/registry'
import { scanRoots } from '../../core/certs/scan'
import type { HandlerContext } from '../handler'
import { keysHandlers } from './handlers'
import { FIXTURE_PASSWORD, fixtureFolder } from '../../core/keys/test-folders'

const root = mkdtempSync(join(tmpdir(), 'keys-handlers-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const ctx: HandlerContext = { emit: () => undefined }

describe('keys handlers', () => {
  const npki = join(root, 'NPKI')
  const folder = fixtureFolder(join(npki, 'yessign', 'USER', 'cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr'))
  const { certs } = scanRoots([{ path: npki, source: 'settings', location: 'pc' }])
  rememberCerts(certs)
  const certId = certIdFor(folder)

  it('resolves a listed certificate and check its password', async () => {
    expect(certs.map((c) => c.path)).toContain(folder)
    const ok = await keysHandlers['keys.checkPassword'](keysCalls['keys.checkPassword'].request.parse({ certId, password: FIXTURE_PASSWORD }), ctx)
    expect(keysCalls['keys.checkPassword'].response.parse(ok)).toEqual({ valid: true })
    expect(await keysHandlers['keys.checkPassword']({ certId, password: 'nope' }, ctx)).toEqual({ valid: false })
  })

  it('verifyIdentity answers mismatch for a number that is not the fixture owner', async () => {
    const r = await keysHandlers['keys.verifyIdentity']({ certId, password: FIXTURE_PASSWORD, idn: '800101-1234567' }, ctx)
    expect(keysCalls['keys.verifyIdentity'].response.parse(r)).toEqual({ result: 'mismatch' })
  })

  it('changePassword rewrites the key; the old password stops working', async () => {
    const r = await keysHandlers['keys.changePassword']({ certId, oldPassword: FIXTURE_PASSWORD, newPassword: 'Handler#pw9753' }, ctx)
    expect(keysCalls['keys.changePassword'].response.parse(r)).toEqual({ ok: true, km: 'absent' })
    expect(await keysHandlers['keys.checkPassword']({ certId, password: 'Handler#pw9753' }, ctx)).toEqual({ valid: true })
    expect(await keysHandlers['keys.checkPassword']({ certId, password: FIXTURE_PASSWORD }, ctx)).toEqual({ valid: false })
  })

  it('an unknown certId is NOT_FOUND; a bad request fails schema validation', async () => {
    await expect(keysHandlers['keys.checkPassword']({ certId: 'c-unknown', password: 'x' }, ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(keysCalls['keys.changePassword'].request.safeParse({ certId, oldPassword: '', newPassword: 'x' }).success).toBe(false)
  })
})
