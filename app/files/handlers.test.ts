import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import type { AppEvent } from '../../shared/contract/progress'
import { createFilesHandlers, OpenedFiles, type DesktopShell } from './handlers'

const tmp = mkdtempSync(join(tmpdir(), 'certmgr-files-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const ctx = { emit: () => undefined }

function handlers(desktop?: DesktopShell) {
  mkdirSync(join(tmp, 'home', 'Documents'), { recursive: true })
  mkdirSync(join(tmp, 'NPKI'), { recursive: true })
  const deps = { npkiRoots: async () => [{ path: join(tmp, 'NPKI') }, { path: join(tmp, 'missing', 'NPKI') }], drives: () => [], home: join(tmp, 'home'), ...(desktop ? { desktop } : {}) }
  return createFilesHandlers(deps, new OpenedFiles(() => undefined))
}

describe('files.* handlers', () => {
  it('offer the home folder and the NPKI folders that exist, and say whether dialogs are native', async () => {
    const r = await handlers()['files.places']({}, ctx)
    expect(r.places.map((p) => `${p.kind}:${p.path}`)).toEqual([`home:${join(tmp, 'home')}`, `npki:${join(tmp, 'NPKI')}`])
    expect(r.native).toBe(false)
    expect((await handlers({ dialog: vi.fn() })['files.places']({}, ctx)).native).toBe(true)
  })

  it('refuse browsing outside the places', async () => {
    await expect(handlers()['files.browse']({ dir: tmp, purpose: 'folder' }, ctx)).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })

  it('have no dialog in the browser host, and give a saved PFX its extension in Electron', async () => {
    await expect(handlers()['files.dialog']({ purpose: 'save-pfx' }, ctx)).rejects.toMatchObject({ code: 'UNSUPPORTED' })
    const dialog = vi.fn(async () => '/home/u/HKD')
    expect(await handlers({ dialog })['files.dialog']({ purpose: 'save-pfx', defaultName: 'HKD.pfx' }, ctx)).toEqual({ path: '/home/u/HKD.pfx' })
    expect(dialog).toHaveBeenCalledWith('save-pfx', 'HKD.pfx')
    expect(await handlers({ dialog: async () => null })['files.dialog']({ purpose: 'open-pfx' }, ctx)).toEqual({ path: null })
  })
})

describe('opened files', () => {
  it('keep only existing .pfx/.p12 files, tell the window once, and are taken once', () => {
    const events: AppEvent[] = []
    const q = new OpenedFiles((e) => events.push(e))
    writeFileSync(join(tmp, 'a.PFX'), 'x')
    writeFileSync(join(tmp, 'b.txt'), 'x')
    expect(q.add(['a.PFX', 'b.txt', 'gone.p12', '--flag'], tmp)).toEqual([join(tmp, 'a.PFX')])
    expect(q.add(['b.txt'], tmp)).toEqual([])
    expect(events).toEqual([{ type: 'files-opened' }])
    expect(q.take()).toEqual([join(tmp, 'a.PFX')])
    expect(q.take()).toEqual([])
  })
})
