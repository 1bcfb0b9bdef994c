import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../certs/parse'
import { scanRoots } from '../certs/scan'
import { openSignKey } from '../formats/signpri'
import { directFs, isLeftover, realFs, writeFoldersAtomic, type FsLayer } from './atomic'
import { copyCerts, type BatchCopyResult } from './batch'
import { readCertFiles } from './folder'
import { fixture, otherCert } from './testkit'

type Step = 'mkdir' | 'open' | 'write' | 'sync' | 'close' | 'rename' | 'rm' | 'readdir' | 'stat' | 'syncfs'

/**
 * A counting layer over `base` that fails the chosen call (and, with `sticky`, every call after
 * it: a drive that is gone stays gone). Like the one in tests/reliability, plus the file-system
 * flush, which it offers only when `base` does.
 */
function faultyFs(base: FsLayer, failAt: (n: number, step: Step) => boolean, code = 'EIO', sticky = false): FsLayer & { log: Step[] } {
  const log: Step[] = []
  let failed = false
  const check = (step: Step): void => {
    log.push(step)
    if ((sticky && failed) || failAt(log.length, step)) {
      failed = true
      const e = new Error(`injected ${code}`) as Error & { code: string }
      e.code = code
      throw e
    }
  }
  const layer: FsLayer & { log: Step[] } = {
    log,
    mkdir: async (p, o) => (check('mkdir'), base.mkdir(p, o)),
    async open(p, f, m) {
      check('open')
      const h = await base.open(p, f, m)
      return {
        write: async (d: Uint8Array) => {
          check('write')
          return h.write(d)
        },
        sync: async () => (check('sync'), h.sync()),
        close: async () => {
          try {
            check('close')
          } finally {
            await h.close()
          }
        },
      }
    },
    rename: async (a, b) => (check('rename'), base.rename(a, b)),
    rm: async (p, o) => (check('rm'), base.rm(p, o)),
    readdir: async (p) => (check('readdir'), base.readdir(p)),
    stat: async (p) => (check('stat'), base.stat(p)),
  }
  if (base.syncFileSystem) {
    const flush = base.syncFileSystem
    layer.syncFileSystem = async (dir) => (check('syncfs'), flush(dir))
  }
  return layer
}

let tmp = ''
let src = ''
let dst = ''
const fx = fixture()
const CN_DIGITS = '191000030'

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-batch-'))
  src = join(tmp, 'pc', 'NPKI')
  dst = join(tmp, 'usb', 'NPKI')
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

/** `n` distinct certificate folders: the fixture with the digits of its CN rewritten (same key). */
function plantMany(n: number): string[] {
  const at = Buffer.from(fx.cert).indexOf(CN_DIGITS)
  expect(at).toBeGreaterThan(0)
  return Array.from({ length: n }, (_, i) => {
    const cert = Buffer.from(fx.cert)
    cert.write(String(i).padStart(CN_DIGITS.length, '0'), at, 'latin1')
    const f = parseCertificate(cert)
    const dir = join(src, f.caFolder, 'USER', f.npkiFolderName)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'signCert.der'), cert)
    writeFileSync(join(dir, 'signPri.key'), fx.key)
    writeFileSync(join(dir, 'kmCert.der'), cert)
    writeFileSync(join(dir, 'kmPri.key'), fx.key)
    return dir
  })
}

const userDir = (): string => join(dst, fx.caFolder, 'USER')
const destOf = (source: string): string => join(userDir(), basename(source))

/** A different certificate (with this fixture's key file) already in `folder`. */
function plantOther(folder: string): void {
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'signCert.der'), otherCert())
  writeFileSync(join(folder, 'signPri.key'), fx.key)
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}

function failure(r: BatchCopyResult | undefined): CertError {
  expect(r?.outcome).toBe('failed')
  return (r as { error: CertError }).error
}

/** Every folder in the destination is whole, and nothing else (no leftovers) is there. */
async function expectOnlyWholeFolders(): Promise<string[]> {
  const names = entries(userDir())
  expect(names.filter(isLeftover)).toEqual([])
  for (const n of names) expect(Object.keys(await readCertFiles(join(userDir(), n))).sort()).toEqual(['kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key'])
  return names
}

describe('copyCerts', () => {
  it('copies many folders, each whole and openable; a second run finds them identical', async () => {
    const folders = plantMany(12)
    const res = await copyCerts(folders, { toRoot: dst, password: fx.password })
    expect(res).toEqual(folders.map((f) => ({ source: f, path: destOf(f), outcome: 'copied' })))
    expect(await expectOnlyWholeFolders()).toHaveLength(12)
    for (const f of folders) {
      const d = destOf(f)
      expect(() => openSignKey(new Uint8Array(readFileSync(join(d, 'signCert.der'))), new Uint8Array(readFileSync(join(d, 'signPri.key'))), fx.password)).not.toThrow()
    }
    expect(scanRoots([{ path: dst, source: 'env', location: 'usb' }]).certs).toHaveLength(12)
    expect((await copyCerts(folders, { toRoot: dst })).map((r) => r.outcome)).toEqual(folders.map(() => 'identical'))
    // The same through the threadpool, as the app's main process would call it.
    const viaPool = await copyCerts(folders, { toRoot: join(tmp, 'pool'), password: fx.password }, { fs: realFs })
    expect(viaPool.map((r) => r.outcome)).toEqual(folders.map(() => 'copied'))
    expect(readdirSync(join(tmp, 'pool', fx.caFolder, 'USER'))).toHaveLength(12)
  })

  it('flushes the file system once per parent instead of fsyncing every file, and falls back when it cannot', async () => {
    const folders = plantMany(9)
    const bulk = faultyFs(directFs, () => false)
    await copyCerts(folders, { toRoot: dst }, { fs: bulk })
    expect(bulk.log.filter((s) => s === 'syncfs')).toHaveLength(process.platform === 'linux' ? 1 : 0)
    if (process.platform === 'linux') expect(bulk.log.filter((s) => s === 'sync')).toEqual([])

    // A flush that is unavailable here: every staged file is fsynced before any rename.
    rmSync(dst, { recursive: true, force: true })
    const unavailable = faultyFs({ ...directFs, syncFileSystem: async () => false }, () => false)
    await copyCerts(folders, { toRoot: dst }, { fs: unavailable })
    const firstRename = unavailable.log.indexOf('rename')
    expect(unavailable.log.slice(0, firstRename).filter((s) => s === 'sync')).toHaveLength(9 * 4)
    expect(await expectOnlyWholeFolders()).toHaveLength(9)
  })

  it('checks the password of each folder and writes none it does not open', async () => {
    const [a, b] = plantMany(2)
    writeFileSync(join(b!, 'signPri.key'), new Uint8Array([0x30, 0x03, 2, 1, 0]))
    const res = await copyCerts([a!, b!], { toRoot: dst, password: fx.password })
    expect(res[0]).toMatchObject({ outcome: 'copied' })
    expect(failure(res[1]).code).toMatch(/WRONG_PASSWORD|DAMAGED|KEY_MISMATCH/)
    expect(entries(userDir())).toEqual([basename(a!)])
    const wrong = await copyCerts([a!], { toRoot: join(tmp, 'other'), password: 'not-the-password-1!' })
    expect(failure(wrong[0]).code).toBe('WRONG_PASSWORD')
    expect(existsSync(join(tmp, 'other'))).toBe(false)
  })

  it('keeps a different certificate at the destination unless overwrite is set, per folder', async () => {
    const folders = plantMany(3)
    const there = destOf(folders[1]!)
    plantOther(there)
    const res = await copyCerts(folders, { toRoot: dst })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'failed', 'copied'])
    expect(failure(res[1])).toMatchObject({ code: 'CONFLICT', params: { reason: 'different-certificate' } })
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(Buffer.from(otherCert()))

    const again = await copyCerts(folders, { toRoot: dst, overwrite: true })
    expect(again.map((r) => r.outcome)).toEqual(['identical', 'replaced', 'identical'])
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(readFileSync(join(folders[1]!, 'signCert.der')))
    expect(await expectOnlyWholeFolders()).toHaveLength(3)
  })

  it('writes a folder named twice once, and refuses two different certificates for one folder', async () => {
    const [a] = plantMany(1)
    const twin = join(tmp, 'elsewhere', fx.caFolder, 'USER', basename(a!))
    mkdirSync(twin, { recursive: true })
    for (const n of ['signCert.der', 'signPri.key', 'kmCert.der', 'kmPri.key']) writeFileSync(join(twin, n), readFileSync(join(a!, n)))
    writeFileSync(join(twin, 'kmPri.key'), new Uint8Array([1, 2, 3]))
    const res = await copyCerts([a!, a!, twin], { toRoot: dst })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'identical', 'failed'])
    expect(failure(res[2])).toMatchObject({ code: 'CONFLICT', params: { reason: 'batch-duplicate' } })
    expect(readFileSync(join(destOf(a!), 'kmPri.key'))).toEqual(Buffer.from(fx.key))
  })

  it('reads a source as readCertFiles does: visible regular files, links to files followed', async () => {
    const [a] = plantMany(1)
    writeFileSync(join(a!, '.hidden'), 'x')
    mkdirSync(join(a!, 'sub'))
    const expected = ['kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key']
    if (process.platform !== 'win32') {
      writeFileSync(join(tmp, 'extra.bin'), new Uint8Array([5, 6]))
      symlinkSync(join(tmp, 'extra.bin'), join(a!, 'linked.bin'))
      execFileSync('mkfifo', [join(tmp, 'fifo')])
      symlinkSync(join(tmp, 'fifo'), join(a!, 'pipe'))
      expected.push('linked.bin')
    }
    const [r] = await copyCerts([a!], { toRoot: dst })
    expect(r!.outcome).toBe('copied')
    expect(entries(r!.path!)).toEqual(expected.sort())
    expect(Object.keys(await readCertFiles(a!)).sort()).toEqual(expected.sort())
  })

  it('reports a missing or broken source and copies the rest', async () => {
    const [a] = plantMany(1)
    const res = await copyCerts([join(tmp, 'nope'), a!], { toRoot: dst })
    expect(failure(res[0])).toMatchObject({ code: 'NOT_FOUND' })
    expect(res[0]!.path).toBeUndefined()
    expect(res[1]!.outcome).toBe('copied')
  })

  it('cleans the leftovers of a killed write and puts back a folder left aside', async () => {
    const [a, b] = plantMany(2)
    mkdirSync(join(userDir(), `.${basename(a!)}.0123456789ab.tmp`), { recursive: true })
    const old = join(userDir(), `.${basename(b!)}.abcdefabcdef.old`)
    mkdirSync(old, { recursive: true })
    for (const n of ['signCert.der', 'signPri.key', 'kmCert.der', 'kmPri.key']) writeFileSync(join(old, n), readFileSync(join(b!, n)))
    const res = await copyCerts([a!, b!], { toRoot: dst })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'identical'])
    expect(await expectOnlyWholeFolders()).toHaveLength(2)
  })
})

describe('copyCerts with injected failures', () => {
  it('ENOSPC while writing the second folder fails that folder only, leaving nothing of it', async () => {
    const folders = plantMany(4)
    let writes = 0
    // Four files a folder: the sixth write is the second folder's second file.
    const fs = faultyFs(directFs, (_n, step) => step === 'write' && ++writes === 6, 'ENOSPC')
    const res = await copyCerts(folders, { toRoot: dst }, { fs })
    expect(res.map((r) => r.outcome).filter((o) => o === 'failed')).toHaveLength(1)
    const e = failure(res.find((r) => r.outcome === 'failed'))
    expect(e).toMatchObject({ code: 'IO', params: { reason: 'disk-full', side: 'destination' } })
    expect(e.message).not.toMatch(/injected|\//)
    expect(await expectOnlyWholeFolders()).toHaveLength(3)
  })

  it('EIO from the file-system flush fails every folder waiting for it and shows none of them', async () => {
    const folders = plantMany(8)
    const fs = faultyFs({ ...realFs, syncFileSystem: async () => true }, (_n, step) => step === 'syncfs', 'EIO')
    const res = await copyCerts(folders, { toRoot: dst }, { fs })
    for (const r of res) expect(failure(r)).toMatchObject({ code: 'IO', params: { reason: 'device' } })
    expect(entries(userDir())).toEqual([])
  })

  it('a drive pulled out mid-batch: every later call fails, no partial folder is visible', async () => {
    const folders = plantMany(4)
    let opens = 0
    const fs = faultyFs(realFs, (_n, step) => step === 'open' && ++opens === 7, 'ENODEV', true)
    const res = await copyCerts(folders, { toRoot: dst }, { fs })
    for (const r of res) expect(failure(r)).toMatchObject({ code: 'IO', params: { reason: 'device' } })
    expect(entries(userDir()).filter((n) => !isLeftover(n))).toEqual([])
    // The next good copy sweeps whatever the dead drive kept and copies everything.
    expect((await copyCerts(folders, { toRoot: dst })).map((r) => r.outcome)).toEqual(folders.map(() => 'copied'))
    expect(await expectOnlyWholeFolders()).toHaveLength(4)
  })

  it('a rename failing mid-batch keeps the folders already in place and those after it', async () => {
    const folders = plantMany(4)
    let renames = 0
    const fs = faultyFs(directFs, (_n, step) => step === 'rename' && ++renames === 2, 'EIO')
    const res = await copyCerts(folders, { toRoot: dst }, { fs })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'failed', 'copied', 'copied'])
    expect(failure(res[1])).toMatchObject({ code: 'IO', params: { reason: 'device' } })
    expect(await expectOnlyWholeFolders()).toHaveLength(3)
  })

  it('a failed replace puts the certificate that was there back', async () => {
    const folders = plantMany(2)
    const there = destOf(folders[0]!)
    plantOther(there)
    // The old folder goes aside; the rename that would put the new one in its place fails.
    const fs: FsLayer = {
      ...directFs,
      async rename(from, to) {
        if (to === there && isLeftover(basename(from)) && from.endsWith('.tmp')) throw Object.assign(new Error('injected EIO'), { code: 'EIO' })
        return directFs.rename(from, to)
      },
    }
    const res = await copyCerts(folders, { toRoot: dst, overwrite: true }, { fs })
    expect(res.map((r) => r.outcome)).toEqual(['failed', 'copied'])
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(Buffer.from(otherCert()))
    expect(entries(userDir()).filter(isLeftover)).toEqual([])
  })

  it('a failure at any single step leaves each folder whole or absent, and says which', async () => {
    const folders = plantMany(3)
    const probe = faultyFs(directFs, () => false)
    await copyCerts(folders, { toRoot: join(tmp, 'probe') }, { fs: probe })
    expect(probe.log.length).toBeGreaterThan(30)
    for (let k = 1; k <= probe.log.length; k++) {
      rmSync(dst, { recursive: true, force: true })
      const fs = faultyFs(directFs, (n) => n === k, 'EIO')
      const res = await copyCerts(folders, { toRoot: dst }, { fs })
      const present = await expectOnlyWholeFolders()
      for (const r of res) {
        const here = present.includes(basename(r.source))
        // A folder reported written is there; one reported failed is not, with an IO error.
        if (r.outcome === 'failed') expect([r.error.code, here], `step ${k} (${probe.log[k - 1]})`).toEqual(['IO', false])
        else expect(here, `step ${k} (${probe.log[k - 1]})`).toBe(true)
      }
    }
  })
})

describe('writeFoldersAtomic', () => {
  it('refuses to write over an existing folder without replace', async () => {
    const dest = join(tmp, 'x', 'a')
    mkdirSync(dest, { recursive: true })
    writeFileSync(join(dest, 'keep'), 'k')
    const [r] = await writeFoldersAtomic([{ dest, files: { f: new Uint8Array([1]) } }])
    expect(r).toMatchObject({ ok: false, error: { code: 'EEXIST' } })
    expect(readdirSync(dest)).toEqual(['keep'])
    expect(readdirSync(join(tmp, 'x'))).toEqual(['a'])
  })
})

describe('copyCerts with progress and a cancel (the batch `certmgr copy PATH...` runs)', () => {
  it('reports read, check, write and done, with how many folders are read and placed', async () => {
    const folders = plantMany(4)
    const seen: string[] = []
    const res = await copyCerts(folders, { toRoot: dst, password: fx.password }, { ports: { progress: (stage, f) => seen.push(`${stage} ${f}`) } })
    expect(res.map((r) => r.outcome)).toEqual(folders.map(() => 'copied'))
    expect(seen).toEqual(['read 0', 'read 0.25', 'read 0.5', 'read 0.75', 'read 1', 'check 0', 'write 0', 'write 0.25', 'write 0.5', 'write 0.75', 'write 1', 'done 1'])
  })

  it('batch copy cancelled between folders leaves only whole folders and says which were copied', async () => {
    const folders = plantMany(6)
    const ac = new AbortController()
    // Cancelled once the second folder is in place.
    const progress = (stage: string, f: number): void => void (stage === 'write' && f >= 2 / 6 && ac.abort())
    const res = await copyCerts(folders, { toRoot: dst, password: fx.password }, { ports: { progress, signal: ac.signal } })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'copied', 'failed', 'failed', 'failed', 'failed'])
    for (const r of res.slice(2)) expect(failure(r).code).toBe('CANCELLED')
    // The two placed are whole; the four cancelled left nothing behind, not even a temp folder.
    expect(await expectOnlyWholeFolders()).toEqual([basename(folders[0]!), basename(folders[1]!)].sort())
  })

  it('batch copy cancelled while reading writes nothing, not even a parent folder', async () => {
    const folders = plantMany(3)
    const ac = new AbortController()
    const res = await copyCerts(folders, { toRoot: dst, password: fx.password }, { ports: { progress: (stage) => void (stage === 'read' && ac.abort()), signal: ac.signal } })
    expect(res.map((r) => failure(r).code)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED'])
    expect(existsSync(dst)).toBe(false)
  })

  it('a cancel reaching a replace keeps the certificate that was there', async () => {
    const [a, b] = plantMany(2)
    plantOther(destOf(b!))
    const before = readFileSync(join(destOf(b!), 'signCert.der'))
    const ac = new AbortController()
    const progress = (stage: string, f: number): void => void (stage === 'write' && f > 0 && ac.abort())
    const res = await copyCerts([a!, b!], { toRoot: dst, password: fx.password, overwrite: true }, { ports: { progress, signal: ac.signal } })
    expect(res.map((r) => r.outcome)).toEqual(['copied', 'failed'])
    expect(failure(res[1]).code).toBe('CANCELLED')
    expect(readFileSync(join(destOf(b!), 'signCert.der'))).toEqual(before)
    expect(entries(userDir()).filter(isLeftover)).toEqual([])
  })
})
