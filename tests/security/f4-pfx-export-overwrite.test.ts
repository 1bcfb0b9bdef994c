import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/certmgr'
import { readPfx } from '../../core/formats/pfx'
import { createAppServices, type AppServices } from '../../app/app-services'
import type { AppEvent } from '../../shared/contract/progress'
import { addPinkCert, PINK_PASSWORD, tempDir } from '../helpers/fixtures'
import { memIO } from '../helpers/cli-io'

// Finding 4 of the desktop security review: PFX export replaced an existing file without
// asking. Now the app's call and the CLI refuse unless told to overwrite (the UI asks the user
// first, see renderer/src/locations/locations.test.ts), and the old file stays byte for byte.
const OLD = Buffer.from('the user keeps something else under this name')
const tmp = tempDir('sec-f4-')
const root = join(tmp, 'NPKI')
const folder = addPinkCert(root)
const ctx = { emit: (_e: AppEvent) => undefined }
let services: AppServices
let prevRoots: string | undefined

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  process.env.CERTMGR_NPKI_ROOTS = root
  services = await createAppServices({ dataDir: join(tmp, 'data'), host: 'web', version: 'test', watch: false, reminders: false, embeddedCenter: false })
})
afterAll(async () => {
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
  rmSync(tmp, { recursive: true, force: true })
})

function existing(name: string): { path: string; unchanged: () => boolean } {
  const path = join(tmp, name)
  writeFileSync(path, OLD)
  const mtime = statSync(path).mtimeMs
  return { path, unchanged: () => readFileSync(path).equals(OLD) && statSync(path).mtimeMs === mtime }
}

describe('finding 4: PFX export does not overwrite without confirmation', () => {
  it('pfx.export refuses an existing file with CONFLICT file-exists and leaves it untouched', async () => {
    const list = await services.dispatch('certs.list', {}, ctx)
    if (!list.ok) throw new Error(list.error.message)
    const certId = (list.value as { certs: { id: string }[] }).certs[0]!.id
    const f = existing('app.pfx')
    const refused = await services.dispatch('pfx.export', { certId, password: PINK_PASSWORD, profile: 'compatible', outPath: f.path }, ctx)
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT', params: { reason: 'file-exists' } } })
    expect(f.unchanged()).toBe(true)

    const confirmed = await services.dispatch('pfx.export', { certId, password: PINK_PASSWORD, profile: 'compatible', outPath: f.path, overwrite: true }, ctx)
    expect(confirmed.ok).toBe(true)
    expect((await readPfx(new Uint8Array(readFileSync(f.path)), PINK_PASSWORD)).certDer.length).toBeGreaterThan(0)
  })

  it('certmgr export-pfx refuses with one line naming --overwrite, then replaces with it', async () => {
    const pw = join(tmp, 'pw.txt')
    writeFileSync(pw, PINK_PASSWORD + '\n')
    const f = existing('cli.pfx')
    const io = memIO()
    expect(await main(['export-pfx', folder, '--out', f.path, '--password-file', pw, '--profile', 'compatible'], io)).toBe(2)
    expect(io.errText).toHaveLength(1)
    expect(io.errText[0]!.startsWith(`certmgr export-pfx: ${f.path} already exists; pass --overwrite to replace it`)).toBe(true)
    expect(io.errText[0]).not.toContain('\n')
    expect(f.unchanged()).toBe(true)

    const io2 = memIO()
    expect(await main(['export-pfx', folder, '--out', f.path, '--password-file', pw, '--profile', 'compatible', '--overwrite'], io2)).toBe(0)
    expect((await readPfx(new Uint8Array(readFileSync(f.path)), PINK_PASSWORD)).certDer.length).toBeGreaterThan(0)
  })
})
