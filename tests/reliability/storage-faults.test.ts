import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { scanRoots } from '../../core/certs/scan'
import { realFs, type FsLayer } from '../../core/storage/atomic'
import { readCertFiles } from '../../core/storage/folder'
import { copyCert, moveCert } from '../../core/storage/operations'
import { fixture, otherCert, plantFixture } from '../../core/storage/testkit'
import { Trash } from '../../core/storage/trash'

type Step = 'mkdir' | 'open' | 'write' | 'sync' | 'close' | 'rename' | 'rm' | 'readdir' | 'stat'

/**
 * A file-system layer that counts every call and fails the chosen one (and, with `sticky`,
 * every call after it: a drive that is gone stays gone).
 */
class FaultyFs implements FsLayer {
  calls = 0
  log: Step[] = []
  constructor(
    private readonly failAt: (n: number, step: Step) => boolean,
    private readonly code: string,
    private readonly sticky = false,
  ) {}
  private failed = false
  private check(step: Step): void {
    this.calls++
    this.log.push(step)
    if ((this.sticky && this.failed) || this.failAt(this.calls, step)) {
      this.failed = true
      const e = new Error(`injected ${this.code}`) as Error & { code: string }
      e.code = this.code
      throw e
    }
  }
  async mkdir(p: string, o: { recursive: true }) {
    this.check('mkdir')
    return realFs.mkdir(p, o)
  }
  async open(p: string, f: string, m?: number) {
    this.check('open')
    const h = await realFs.open(p, f, m)
    return {
      write: async (d: Uint8Array) => {
        this.check('write')
        // A full disk accepts part of the data before it refuses.
        if (this.failed) return h.write(d.subarray(0, d.length >> 1))
        return h.write(d)
      },
      sync: async () => {
        this.check('sync')
        return h.sync()
      },
      close: async () => {
        try {
          this.check('close')
        } finally {
          await h.close()
        }
      },
    }
  }
  async rename(a: string, b: string) {
    this.check('rename')
    return realFs.rename(a, b)
  }
  async rm(p: string, o: { recursive: true; force: true }) {
    this.check('rm')
    return realFs.rm(p, o)
  }
  async readdir(p: string) {
    this.check('readdir')
    return realFs.readdir(p)
  }
  async stat(p: string) {
    this.check('stat')
    return realFs.stat(p)
  }
}

let tmp = ''
let src = ''
let dst = ''
const fx = fixture()
const destFolder = (): string => join(dst, fx.caFolder, 'USER', fx.folderName)

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-faults-'))
  src = plantFixture(join(tmp, 'pc'), { km: true })
  dst = join(tmp, 'usb', 'NPKI')
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

function visible(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => !n.startsWith('.'))
  } catch {
    return []
  }
}

function hidden(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('.'))
  } catch {
    return []
  }
}

async function errorOf(p: Promise<unknown>): Promise<CertError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return e as CertError
  }
  throw new Error('expected a failure')
}

describe('injected write failures', () => {
  // nth: which call of that step fails (2 = after the first file went through).
  const cases: { code: string; step: Step; nth: number; reason: string; sticky?: boolean }[] = [
    { code: 'ENOSPC', step: 'write', nth: 2, reason: 'disk-full' },
    { code: 'ENOSPC', step: 'sync', nth: 2, reason: 'disk-full' },
    { code: 'EROFS', step: 'mkdir', nth: 1, reason: 'read-only' },
    { code: 'EROFS', step: 'open', nth: 1, reason: 'read-only' },
    { code: 'EIO', step: 'sync', nth: 3, reason: 'device' },
    { code: 'EIO', step: 'rename', nth: 1, reason: 'device' },
    // The drive is pulled out after the first file: everything after fails, cleanup included.
    { code: 'ENODEV', step: 'close', nth: 2, reason: 'device', sticky: true },
    { code: 'ENOENT', step: 'open', nth: 2, reason: 'device', sticky: true },
  ]
  for (const c of cases) {
    it(`${c.code} at ${c.step} gives IO/${c.reason} and no partial folder`, async () => {
      let seen = 0
      const fs = new FaultyFs((_n, step) => step === c.step && ++seen === c.nth, c.code, c.sticky)
      const e = await errorOf(copyCert(src, { toRoot: dst, password: fx.password }, { fs }))
      expect(e.code).toBe('IO')
      expect(e.params).toMatchObject({ reason: c.reason, side: 'destination' })
      expect(e.message).not.toMatch(/injected|\//)
      expect(existsSync(destFolder())).toBe(false)
      expect(scanRoots([{ path: dst, source: 'env', location: 'usb' }]).certs).toEqual([])
      if (!c.sticky) expect(hidden(join(dst, fx.caFolder, 'USER'))).toEqual([])
      // The source is untouched, and the next good copy succeeds and sweeps any leftovers.
      expect(Object.keys(await readCertFiles(src)).sort()).toEqual(['kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key'])
      expect((await copyCert(src, { toRoot: dst })).outcome).toBe('copied')
      expect(readdirSync(join(dst, fx.caFolder, 'USER'))).toEqual([fx.folderName])
    })
  }

  it('a failure at every single step of a copy leaves nothing or the whole folder', async () => {
    const probe = new FaultyFs(() => false, 'EIO')
    await copyCert(src, { toRoot: join(tmp, 'probe') }, { fs: probe })
    expect(probe.calls).toBeGreaterThan(10)
    for (let k = 1; k <= probe.calls; k++) {
      rmSync(dst, { recursive: true, force: true })
      const fs = new FaultyFs((n) => n === k, 'EIO')
      const outcome = await copyCert(src, { toRoot: dst }, { fs }).then(
        () => 'ok',
        (e: CertError) => e.code,
      )
      expect(['ok', 'IO']).toContain(outcome)
      if (existsSync(destFolder())) expect(Object.keys(await readCertFiles(destFolder())).length, `step ${k} (${probe.log[k - 1]})`).toBe(4)
      expect(visible(join(dst, fx.caFolder, 'USER')).filter((n) => n !== fx.folderName)).toEqual([])
    }
  })

  it('a failed overwrite keeps the certificate that was there', async () => {
    const there = destFolder()
    mkdirSync(there, { recursive: true })
    writeFileSync(join(there, 'signCert.der'), otherCert())
    writeFileSync(join(there, 'signPri.key'), fx.key)
    let renames = 0
    // The first rename moves the old folder aside; fail the second, which would put the new one in place.
    const fs = new FaultyFs((_n, step) => step === 'rename' && ++renames === 2, 'EIO')
    const e = await errorOf(copyCert(src, { toRoot: dst, overwrite: true }, { fs }))
    expect(e.params?.reason).toBe('device')
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(Buffer.from(otherCert()))
    expect(visible(join(dst, fx.caFolder, 'USER'))).toEqual([fx.folderName])
  })

  it('a move that cannot write keeps the source', async () => {
    const fs = new FaultyFs((_n, step) => step === 'write', 'ENOSPC')
    const e = await errorOf(moveCert(src, { toRoot: dst }, { fs }))
    expect(e.params?.reason).toBe('disk-full')
    expect(Object.keys(await readCertFiles(src))).toHaveLength(4)
    expect(existsSync(destFolder())).toBe(false)
  })

  it('a delete whose trash cannot be written keeps the certificate', async () => {
    const trash = new Trash(join(tmp, 'data'), { fs: new FaultyFs((_n, step) => step === 'write', 'ENOSPC') })
    const e = await errorOf(trash.put(src))
    expect(e).toMatchObject({ code: 'IO', params: { reason: 'disk-full' } })
    expect(Object.keys(await readCertFiles(src))).toHaveLength(4)
    expect(await new Trash(join(tmp, 'data')).list()).toEqual([])
  })

  it('a delete from a read-only medium keeps the certificate and leaves no trash entry', async () => {
    const trash = new Trash(join(tmp, 'data'), { sourceFs: new FaultyFs((_n, step) => step === 'rename', 'EROFS') })
    const e = await errorOf(trash.put(src))
    expect(e).toMatchObject({ code: 'IO', params: { reason: 'read-only', side: 'source' } })
    expect(Object.keys(await readCertFiles(src))).toHaveLength(4)
    expect(await trash.list()).toEqual([])
    expect(readdirSync(trash.dir).filter((n) => n !== 'manifest.json')).toEqual([])
  })

  it('a move whose source cannot be removed reports it and keeps both copies complete', async () => {
    const sourceFs = new FaultyFs((_n, step) => step === 'rename', 'EROFS')
    const e = await errorOf(moveCert(src, { toRoot: dst }, { sourceFs }))
    expect(e).toMatchObject({ code: 'IO', params: { reason: 'read-only', side: 'source' } })
    expect(Object.keys(await readCertFiles(src))).toHaveLength(4)
    expect(Object.keys(await readCertFiles(destFolder()))).toHaveLength(4)
  })
})
