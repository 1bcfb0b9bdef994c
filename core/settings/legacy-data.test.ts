import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { adoptLegacyData } from './legacy-data'

const dirs: string[] = []
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'legacy-data-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('adoptLegacyData', () => {
  it("data folder change: an earlier desktop build's settings, trash and center move into the data folder", async () => {
    const legacy = tmp()
    const current = join(tmp(), 'certmgr')
    writeFileSync(join(legacy, 'settings.json'), '{"extraRoots":["/mnt/x/NPKI"]}')
    writeFileSync(join(legacy, 'pending-renewals.json'), '[]')
    mkdirSync(join(legacy, 'trash', 'abc'), { recursive: true })
    writeFileSync(join(legacy, 'trash', 'abc', 'signPri.key'), 'key')
    mkdirSync(join(legacy, 'center'))
    writeFileSync(join(legacy, 'center', 'center.db'), 'db')
    mkdirSync(join(legacy, 'Cache')) // Chromium's own: stays

    const r = await adoptLegacyData(legacy, current)

    expect(r.moved.sort()).toEqual(['center', 'pending-renewals.json', 'settings.json', 'trash'])
    expect(readFileSync(join(current, 'settings.json'), 'utf8')).toContain('/mnt/x/NPKI')
    expect(readFileSync(join(current, 'trash', 'abc', 'signPri.key'), 'utf8')).toBe('key')
    expect(readFileSync(join(current, 'center', 'center.db'), 'utf8')).toBe('db')
    // Moved, not copied: a trashed key never exists twice.
    expect(existsSync(join(legacy, 'trash'))).toBe(false)
    expect(existsSync(join(legacy, 'Cache'))).toBe(true)
    expect(existsSync(join(current, 'Cache'))).toBe(false)
  })

  it('never overwrites what the data folder already holds, and runs once', async () => {
    const legacy = tmp()
    const current = tmp()
    writeFileSync(join(legacy, 'settings.json'), 'old')
    writeFileSync(join(current, 'settings.json'), 'new')
    writeFileSync(join(legacy, 'reminders.json'), '{}')

    const r = await adoptLegacyData(legacy, current)
    expect(r.keptBoth).toEqual(['settings.json'])
    expect(r.moved).toEqual(['reminders.json'])
    expect(readFileSync(join(current, 'settings.json'), 'utf8')).toBe('new')
    expect(readFileSync(join(legacy, 'settings.json'), 'utf8')).toBe('old')

    const again = await adoptLegacyData(legacy, current)
    expect(again.moved).toEqual([])
  })

  it('does nothing when both are the same folder', async () => {
    const d = tmp()
    writeFileSync(join(d, 'settings.json'), 'x')
    expect(await adoptLegacyData(d, d)).toEqual({ moved: [], keptBoth: [], failed: [] })
    expect(readFileSync(join(d, 'settings.json'), 'utf8')).toBe('x')
  })
})
