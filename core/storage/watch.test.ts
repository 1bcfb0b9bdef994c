import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { copyCert } from './operations'
import { plantFixture } from './testkit'
import { NpkiWatcher } from './watch'

let tmp = ''
let w: NpkiWatcher | undefined
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-watch-'))
})
afterEach(() => {
  w?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!pred() && Date.now() < end) await sleep(20)
}

describe('NpkiWatcher', () => {
  it('emits one certs-changed for a copy into a watched root, none for hidden churn', async () => {
    const root = join(tmp, 'NPKI')
    mkdirSync(root)
    const src = plantFixture(join(tmp, 'src'))
    let n = 0
    w = new NpkiWatcher({ roots: () => [root], debounceMs: 100, rearmMs: 60_000 })
    w.on('certs-changed', () => n++)
    await w.start()
    expect(w.watched()).toEqual([root])
    writeFileSync(join(root, '.scratch.0123456789ab.tmp'), 'x')
    await sleep(300)
    expect(n).toBe(0)
    await copyCert(src, { toRoot: root })
    await until(() => n > 0)
    await sleep(300)
    expect(n).toBe(1)
  })

  it('picks up a root that appears later (a drive plugged in) and stops cleanly', async () => {
    const root = join(tmp, 'late', 'NPKI')
    let n = 0
    w = new NpkiWatcher({ roots: () => [root], debounceMs: 50, rearmMs: 100 })
    w.on('certs-changed', () => n++)
    await w.start()
    expect(w.watched()).toEqual([])
    mkdirSync(root, { recursive: true })
    await until(() => w!.watched().length === 1 && n > 0)
    expect(n).toBeGreaterThanOrEqual(1)
    w.stop()
    const before = n
    writeFileSync(join(root, 'x'), 'y')
    await sleep(200)
    expect(n).toBe(before)
  })
})
