import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { scanRoots } from '../certs/scan'
import { openSignKey } from '../formats/signpri'
import { realFs, writeFolderAtomic, type FsLayer } from './atomic'
import { copyCert, exportCert, moveCert } from './operations'
import { fixture, otherCert, plantFixture } from './testkit'
import { Trash } from './trash'

let tmp = ''
let src = ''
let dst = ''
const fx = fixture()

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-ops-'))
  src = join(tmp, 'pc', 'NPKI')
  dst = join(tmp, 'usb', 'NPKI')
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

const destFolder = (root: string, user = 'USER'): string => join(root, fx.caFolder, user, fx.folderName)

describe('copy', () => {
  it('copies into <root>/<CA>/USER/<DN> after checking the password, and a second copy is a no-op', async () => {
    const folder = plantFixture(src)
    const r = await copyCert(folder, { toRoot: dst, password: fx.password })
    expect(r).toEqual({ path: destFolder(dst), outcome: 'copied' })
    expect(readFileSync(join(r.path, 'signPri.key'))).toEqual(Buffer.from(fx.key))
    expect(() => openSignKey(new Uint8Array(readFileSync(join(r.path, 'signCert.der'))), new Uint8Array(readFileSync(join(r.path, 'signPri.key'))), fx.password)).not.toThrow()
    expect((await copyCert(folder, { toRoot: dst, password: fx.password })).outcome).toBe('identical')
  })

  it('refuses a wrong password and writes nothing', async () => {
    const folder = plantFixture(src)
    await expect(copyCert(folder, { toRoot: dst, password: 'wrong-password-1!' })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' })
    expect(existsSync(dst)).toBe(false)
  })

  it('takes the km pair and other files along', async () => {
    const folder = plantFixture(src, { km: true, extra: { 'backup.pfx': new Uint8Array([1, 2, 3]) } })
    const r = await copyCert(folder, { toRoot: dst, password: fx.password })
    expect(readdirSync(r.path).sort()).toEqual(['backup.pfx', 'kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key'])
  })

  it('reports CONFLICT for a different certificate unless overwrite is set', async () => {
    const folder = plantFixture(src)
    const there = destFolder(dst)
    mkdirSync(there, { recursive: true })
    writeFileSync(join(there, 'signCert.der'), otherCert())
    writeFileSync(join(there, 'signPri.key'), fx.key)
    await expect(copyCert(folder, { toRoot: dst })).rejects.toMatchObject({ code: 'CONFLICT', params: { reason: 'different-certificate' } })
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(Buffer.from(otherCert()))
    expect((await copyCert(folder, { toRoot: dst, overwrite: true })).outcome).toBe('replaced')
    expect(readFileSync(join(there, 'signCert.der'))).toEqual(Buffer.from(fx.cert))
  })

  it('calls the same certificate with other key files a conflict too', async () => {
    const folder = plantFixture(src)
    const there = destFolder(dst)
    mkdirSync(there, { recursive: true })
    writeFileSync(join(there, 'signCert.der'), fx.cert)
    writeFileSync(join(there, 'signPri.key'), new Uint8Array([9, 9]))
    await expect(copyCert(folder, { toRoot: dst })).rejects.toMatchObject({ code: 'CONFLICT', params: { reason: 'key-differs' } })
  })

  it('reuses the User / CA spelling already on the medium', async () => {
    const folder = plantFixture(src)
    mkdirSync(join(dst, fx.caFolder.toUpperCase(), 'User'), { recursive: true })
    const r = await copyCert(folder, { toRoot: dst })
    expect(r.path).toBe(join(dst, fx.caFolder.toUpperCase(), 'User', fx.folderName))
  })

  it('places a certificate that does not parse by the folder it came from', async () => {
    const folder = join(src, 'KICA', 'USER', 'cn=broken')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'signCert.der'), new Uint8Array([0x30, 0x03, 1, 2, 3]))
    writeFileSync(join(folder, 'signPri.key'), fx.key)
    expect((await copyCert(folder, { toRoot: dst })).path).toBe(join(dst, 'KICA', 'USER', 'cn=broken'))
  })
})

describe('move and export', () => {
  it('moves: copy, verify, then the source is gone', async () => {
    const folder = plantFixture(src, { km: true })
    const r = await moveCert(folder, { toRoot: dst, password: fx.password })
    expect(r.outcome).toBe('copied')
    expect(existsSync(folder)).toBe(false)
    expect(readdirSync(r.path)).toHaveLength(4)
    expect(readdirSync(join(src, fx.caFolder, 'USER'))).toEqual([])
  })

  it('move leaves a bad copy: a copy that does not read back as the original is taken back out, the source stays', async () => {
    const folder = plantFixture(src, { km: true })
    // The destination medium flips a bit of every file it is given (a failing USB stick).
    const flipping: FsLayer = {
      ...realFs,
      open: async (path, flags, mode) => {
        const h = await realFs.open(path, flags, mode)
        return { ...h, write: (data: Uint8Array) => h.write(data.length ? Uint8Array.from(data, (b, i) => (i === 0 ? b ^ 1 : b)) : data), sync: () => h.sync(), close: () => h.close() }
      },
    }
    await expect(moveCert(folder, { toRoot: dst }, { fs: flipping })).rejects.toMatchObject({ code: 'IO', params: { reason: 'verify-failed' } })
    expect(readdirSync(folder).sort()).toEqual(['kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key'])
    // Nothing of the copy is left: not the folder, nor the CA and USER folders made for it.
    expect(readdirSync(dst)).toEqual([])
  })

  it('moving a folder onto itself keeps it', async () => {
    const folder = plantFixture(src)
    expect((await moveCert(folder, { toRoot: src })).outcome).toBe('identical')
    expect(existsSync(join(folder, 'signPri.key'))).toBe(true)
  })

  it('exports into any folder as <dir>/<DN>', async () => {
    const folder = plantFixture(src)
    const out = join(tmp, 'export')
    const r = await exportCert(folder, out, { password: fx.password })
    expect(r.path).toBe(join(out, fx.folderName))
    expect(readFileSync(join(r.path, 'signCert.der'))).toEqual(Buffer.from(fx.cert))
  })
})

describe('leftovers of a killed write', () => {
  it('are skipped by the listing and cleaned (or restored) by the next write', async () => {
    const folder = plantFixture(src)
    const user = join(dst, fx.caFolder, 'USER')
    mkdirSync(join(user, `.${fx.folderName}.0123456789ab.tmp`), { recursive: true })
    writeFileSync(join(user, `.${fx.folderName}.0123456789ab.tmp`, 'signCert.der'), fx.cert)
    const roots = [{ path: dst, source: 'env' as const, location: 'usb' as const }]
    expect(scanRoots(roots).certs).toHaveLength(0)
    await copyCert(folder, { toRoot: dst })
    expect(readdirSync(user)).toEqual([fx.folderName])
  })

  it('puts back the previous folder when a replace died between its two renames', async () => {
    const user = join(dst, fx.caFolder, 'USER')
    const old = join(user, `.${fx.folderName}.abcdefabcdef.old`)
    mkdirSync(old, { recursive: true })
    writeFileSync(join(old, 'signCert.der'), fx.cert)
    writeFileSync(join(old, 'signPri.key'), fx.key)
    await writeFolderAtomic(join(user, 'unrelated'), { a: new Uint8Array([1]) })
    expect(existsSync(old)).toBe(true) // only writes of the same folder recover it
    const folder = plantFixture(src)
    expect((await copyCert(folder, { toRoot: dst })).outcome).toBe('identical')
    expect(readdirSync(user).sort()).toEqual([fx.folderName, 'unrelated'].sort())
  })
})

describe('trash', () => {
  it('deletes into the trash, lists, restores, and purges after 30 days', async () => {
    let now = new Date('2026-01-01T00:00:00Z')
    const trash = new Trash(join(tmp, 'data'), { now: () => now })
    const folder = plantFixture(src, { km: true })
    const e = await trash.put(folder)
    expect(existsSync(folder)).toBe(false)
    expect(e).toMatchObject({ originalPath: folder, owner: expect.any(String), files: ['kmCert.der', 'kmPri.key', 'signCert.der', 'signPri.key'], expiresAt: '2026-01-31T00:00:00.000Z' })
    expect((await trash.list()).map((x) => x.id)).toEqual([e.id])
    expect(await trash.restore(e.id)).toEqual({ path: folder })
    expect(readFileSync(join(folder, 'signPri.key'))).toEqual(Buffer.from(fx.key))
    expect(await trash.list()).toEqual([])
    await expect(trash.restore(e.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })

    const e2 = await trash.put(folder)
    now = new Date('2026-01-30T23:59:00Z')
    expect(await trash.purgeExpired()).toEqual([])
    now = new Date('2026-01-31T00:00:01Z')
    expect(await trash.purgeExpired()).toEqual([e2.id])
    expect(readdirSync(trash.dir)).toEqual(['manifest.json'])
  })

  it('will not restore over a different certificate', async () => {
    const trash = new Trash(join(tmp, 'data'))
    const folder = plantFixture(src)
    const e = await trash.put(folder)
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'signCert.der'), otherCert())
    writeFileSync(join(folder, 'signPri.key'), fx.key)
    await expect(trash.restore(e.id)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await trash.restore(e.id, { overwrite: true })).toEqual({ path: folder })
    expect(readFileSync(join(folder, 'signCert.der'))).toEqual(Buffer.from(fx.cert))
  })
})
