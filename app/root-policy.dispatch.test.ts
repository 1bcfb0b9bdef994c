import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AppEvent } from '../shared/contract/progress'
import type { CertSummary } from '../shared/contract/certs'
import type { DriveVolume } from '../core/drives/types'
import { addPinkCert, PINK_FOLDER, PINK_PASSWORD, tempDir } from '../tests/helpers/fixtures'
import { certIdFor } from '../core/certs/registry'
import { createAppServices, type AppServices } from './app-services'
import { PasswordGuard } from './password-guard'

// The root rules as the renderer meets them: through the app's one dispatcher and its one root policy.
const ctx = { emit: (_e: AppEvent) => undefined }
let w: string
let pc: string
let services: AppServices | undefined
let prevRoots: string | undefined

beforeEach(() => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  w = tempDir('certmgr-root-policy-')
  pc = join(w, 'home', 'NPKI')
  process.env.CERTMGR_NPKI_ROOTS = pc
})
afterEach(async () => {
  await services?.close()
  services = undefined
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
  rmSync(w, { recursive: true, force: true })
})

async function start(drives: DriveVolume[] = []): Promise<AppServices> {
  services = await createAppServices({
    dataDir: join(w, 'data'),
    host: 'web',
    version: 'test',
    watch: false,
    reminders: false,
    embeddedCenter: false,
    driveList: async () => drives,
    passwordGuard: new PasswordGuard(),
  })
  return services
}

async function list(s: AppServices): Promise<CertSummary[]> {
  const r = await s.dispatch('certs.list', {}, ctx)
  if (!r.ok) throw new Error(r.error.message)
  return (r.value as { certs: CertSummary[] }).certs
}

function stickAt(mount: string): DriveVolume {
  mkdirSync(mount, { recursive: true })
  return { id: '/dev/sdz1', mountPoint: mount, readOnly: false, kind: 'usb-stick', label: 'STICK' }
}

describe('one root policy through the dispatcher', () => {
  it('symlinked CA folder on a drive: not shown as the drive’s, and deleting the “USB copy” does not touch the original', async () => {
    const original = addPinkCert(pc)
    const mount = join(w, 'usb')
    const s = await start([stickAt(mount)])
    // The stick held a real copy when the list was made...
    const copy = addPinkCert(join(mount, 'NPKI'))
    const usb = (await list(s)).find((c) => c.location === 'usb')
    expect(usb?.path).toBe(copy)
    // ...then its CA folder became a link to the PC's.
    rmSync(join(mount, 'NPKI', 'yessign'), { recursive: true })
    symlinkSync(join(pc, 'yessign'), join(mount, 'NPKI', 'yessign'))
    const del = await s.dispatch('storage.delete', { certId: usb!.id }, ctx)
    expect(del).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(existsSync(join(original, 'signPri.key'))).toBe(true)
    // A fresh list shows the PC's certificate once, as the PC's.
    expect((await list(s)).map((c) => [c.path, c.location])).toEqual([[original, 'pc']])
    // Nor is anything written onto the PC through the stick's link.
    const copyBack = await s.dispatch('storage.copy', { certId: (await list(s))[0]!.id, password: PINK_PASSWORD, toDrive: '/dev/sdz1', overwrite: true }, ctx)
    expect(copyBack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(existsSync(join(original, 'signPri.key'))).toBe(true)
  })

  it('the same folder through two paths: one certificate, one wrong-password count', async () => {
    addPinkCert(pc)
    mkdirSync(join(w, 'alias'))
    symlinkSync(pc, join(w, 'alias', 'NPKI'))
    const s = await start()
    expect(await s.dispatch('settings.set', { extraRoots: [join(w, 'alias', 'NPKI')] }, ctx)).toMatchObject({ ok: true })
    const certs = await list(s)
    expect(certs).toHaveLength(1)
    const id = certs[0]!.id
    for (let i = 0; i < 5; i++) expect(await s.dispatch('keys.checkPassword', { certId: id, password: `wrong-${i}` }, ctx)).toEqual({ ok: true, value: { valid: false } })
    // The folder's id through the other path is this certificate's: still locked.
    const viaAlias = certIdFor(join(w, 'alias', 'NPKI', 'yessign', 'USER', PINK_FOLDER))
    expect(viaAlias).toBe(id)
    expect(await s.dispatch('keys.checkPassword', { certId: viaAlias, password: PINK_PASSWORD }, ctx)).toMatchObject({ ok: false, error: { code: 'TOO_MANY_ATTEMPTS' } })
    for (const c of await list(s)) {
      expect(await s.dispatch('keys.checkPassword', { certId: c.id, password: PINK_PASSWORD }, ctx)).toMatchObject({ ok: false, error: { code: 'TOO_MANY_ATTEMPTS' } })
    }
  })
})
