import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browseFolder, MAX_ENTRIES } from './browse'

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-browse-'))
  mkdirSync(join(tmp, 'home', 'Documents', 'certs'), { recursive: true })
  mkdirSync(join(tmp, 'home', '.hidden'))
  for (const f of ['HKD.pfx', 'old.P12', 'notes.txt', '.secret.pfx']) writeFileSync(join(tmp, 'home', 'Documents', f), 'x')
  mkdirSync(join(tmp, 'elsewhere'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('the picker folder listing', () => {
  it('lists sub-folders and PFX files only, folders first, no hidden entries', async () => {
    const r = await browseFolder([join(tmp, 'home')], join(tmp, 'home', 'Documents'), 'open-pfx')
    expect(r.entries.map((e) => `${e.kind}:${e.name}`)).toEqual(['folder:certs', 'file:HKD.pfx', 'file:old.P12'])
    expect(r.parent).toBe(join(tmp, 'home'))
  })

  it('lists folders only when a folder is being chosen, and has no parent at the top of a place', async () => {
    const r = await browseFolder([join(tmp, 'home')], join(tmp, 'home'), 'folder')
    expect(r.entries.map((e) => e.name)).toEqual(['Documents'])
    expect(r.parent).toBeNull()
  })

  it('refuses folders outside the places, relative paths and .. escapes', async () => {
    await expect(browseFolder([join(tmp, 'home')], join(tmp, 'elsewhere'), 'folder')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(browseFolder([join(tmp, 'home')], join(tmp, 'home', '..', 'elsewhere'), 'folder')).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(browseFolder([join(tmp, 'home')], 'home', 'folder')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(browseFolder([join(tmp, 'home')], join(tmp, 'home', 'gone'), 'folder')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('bounds a huge folder', async () => {
    const big = join(tmp, 'home', 'big')
    mkdirSync(big)
    for (let i = 0; i < MAX_ENTRIES + 5; i++) mkdirSync(join(big, `d${i}`))
    symlinkSync(big, join(tmp, 'home', 'link'))
    const r = await browseFolder([join(tmp, 'home')], big, 'folder')
    expect(r.entries).toHaveLength(MAX_ENTRIES)
    expect(r.truncated).toBe(true)
  })
})
