import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { MAX_CERT_FILE_BYTES } from '../../core/storage/regular-file'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storageCalls } from '../../shared/contract/storage'
import { tokenCalls } from '../../shared/contract/token'
import type { AppEvent } from '../../shared/contract/progress'
import { certIdFor, rememberCerts } from '../../core/certs/registry'
import type { FoundCert } from '../../core/certs/scan'
import { createDispatcher } from '../dispatch'
import type { DriveVolume } from '../../core/drives/types'
import { createStorageHandlers } from './handlers'
import { RootPolicy } from '../../core/roots/root-policy'
import { fixture, plantFixture } from '../../core/storage/testkit'

let tmp = ''
let pcRoot = ''
let otherRoot = ''
let src = ''
const fx = fixture()
const savedRoots = process.env.CERTMGR_NPKI_ROOTS
let drives: DriveVolume[] = []
let events: AppEvent[] = []
const ctx = { emit: (e: AppEvent) => void events.push(e) }

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-storage-h-'))
})
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
  if (savedRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = savedRoots
})

beforeEach(() => {
  const base = mkdtempSync(join(tmp, 'case-'))
  pcRoot = join(base, 'home', 'NPKI')
  otherRoot = join(base, 'docs', 'NPKI')
  process.env.CERTMGR_NPKI_ROOTS = [pcRoot, otherRoot].join(process.platform === 'win32' ? ';' : ':')
  src = plantFixture(pcRoot)
  rememberCerts([{ path: src } as FoundCert])
  mkdirSync(join(base, 'stick'), { recursive: true })
  mkdirSync(join(base, 'locked'), { recursive: true })
  drives = [
    { id: '/dev/sdb1', mountPoint: join(base, 'stick'), readOnly: false, kind: 'usb-stick', label: 'STICK' },
    { id: '/dev/sdc1', mountPoint: join(base, 'locked'), readOnly: true, kind: 'usb-stick', label: 'LOCKED' },
  ]
  events = []
})
afterEach(() => {
  rememberCerts([])
})

function dispatcher() {
  const handlers = createStorageHandlers({ dataDir: join(tmp, 'data'), roots: new RootPolicy({ drives: async () => drives }), tokenModules: async () => [] })
  // The token calls are an API area of their own; the storage handlers serve both.
  return createDispatcher({ ...storageCalls, ...tokenCalls }, handlers as never)
}

describe('storage handlers', () => {
  it('lists PC roots and drives, a drive without NPKI still being a destination', async () => {
    const res = await dispatcher()('storage.locations', {}, ctx)
    expect(res.ok).toBe(true)
    const locs = (res as { value: { locations: { kind: string; path?: string; exists: boolean; writable: boolean }[] } }).value.locations
    expect(locs.filter((l) => l.kind === 'pc')).toEqual([expect.objectContaining({ path: pcRoot, exists: true, writable: true }), expect.objectContaining({ path: otherRoot, exists: false, writable: true })])
    expect(locs.filter((l) => l.kind === 'usb')).toEqual([
      expect.objectContaining({ path: join(drives[0]!.mountPoint, 'NPKI'), exists: false, writable: true }),
      expect.objectContaining({ path: join(drives[1]!.mountPoint, 'NPKI'), writable: false }),
    ])
  })

  it('copies to a listed root and to a drive, and says the list changed', async () => {
    const d = dispatcher()
    const a = await d('storage.copy', { certId: certIdFor(src), password: fx.password, toRoot: otherRoot }, ctx)
    expect(a).toEqual({ ok: true, value: { path: join(otherRoot, fx.caFolder, 'USER', fx.folderName), outcome: 'copied' } })
    const b = await d('storage.copy', { certId: certIdFor(src), password: fx.password, toDrive: '/dev/sdb1' }, ctx)
    expect(b).toMatchObject({ ok: true, value: { path: join(drives[0]!.mountPoint, 'NPKI', fx.caFolder, 'USER', fx.folderName) } })
    expect(events).toEqual([{ type: 'certs-changed' }, { type: 'certs-changed' }])
  })

  it('refuses paths that are not listed roots, read-only drives, both targets, and wrong passwords', async () => {
    const d = dispatcher()
    const id = certIdFor(src)
    expect(await d('storage.copy', { certId: id, password: fx.password, toRoot: join(tmp, 'elsewhere') }, ctx)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(await d('storage.copy', { certId: id, password: fx.password, toDrive: '/dev/sdc1' }, ctx)).toMatchObject({ ok: false, error: { code: 'IO', params: { reason: 'read-only' } } })
    expect(await d('storage.copy', { certId: id, password: fx.password, toDrive: '/dev/sdz9' }, ctx)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(await d('storage.copy', { certId: id, password: fx.password, toRoot: otherRoot, toDrive: '/dev/sdb1' }, ctx)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    expect(await d('storage.copy', { certId: id, password: 'not-it-1!', toRoot: otherRoot }, ctx)).toMatchObject({ ok: false, error: { code: 'WRONG_PASSWORD' } })
    expect(await d('storage.copy', { certId: 'c-unknown', password: fx.password, toRoot: otherRoot }, ctx)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(existsSync(join(otherRoot, fx.caFolder))).toBe(false)
  })

  it('moves to a drive, deletes to the trash and restores', async () => {
    const d = dispatcher()
    const moved = await d('storage.move', { certId: certIdFor(src), password: fx.password, toDrive: '/dev/sdb1' }, ctx)
    expect(moved.ok).toBe(true)
    expect(existsSync(src)).toBe(false)
    const there = (moved as { value: { path: string } }).value.path
    rememberCerts([{ path: there } as FoundCert])
    const del = await d('storage.delete', { certId: certIdFor(there) }, ctx)
    expect(del).toMatchObject({ ok: true, value: { trashId: expect.stringMatching(/^[0-9a-f]{16}$/) } })
    expect(existsSync(there)).toBe(false)
    const list = await d('storage.trashList', {}, ctx)
    const trashId = (del as { value: { trashId: string } }).value.trashId
    expect((list as { value: { entries: { id: string; originalPath: string }[] } }).value.entries).toEqual(expect.arrayContaining([expect.objectContaining({ id: trashId, originalPath: there })]))
    expect(await d('storage.trashRestore', { trashId }, ctx)).toEqual({ ok: true, value: { path: there } })
    expect(existsSync(join(there, 'signPri.key'))).toBe(true)
  })

  it('loads only configured or default PKCS#11 modules', async () => {
    const d = dispatcher()
    expect(await d('token.list', { module: join(tmp, 'evil.so'), slot: '00', pin: '1234' }, ctx)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    expect(await d('token.list', { slot: 'zz', pin: '1234' }, ctx)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
  })
})

describe('a certificate folder dropped on the window', () => {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
  const dest = () => join(otherRoot, fx.caFolder, 'USER', fx.folderName)

  it('shows what the folder holds and stores its bytes under a listed root, atomically through the copy write', async () => {
    const d = dispatcher()
    const source = { files: [{ name: 'signCert.der', dataBase64: b64(fx.cert) }, { name: 'signPri.key', dataBase64: b64(fx.key) }, { name: 'notes.txt', dataBase64: 'aGk=' }] }
    const info = await d('storage.inspectDropped', { source }, ctx)
    expect(info).toMatchObject({ ok: true, value: { owner: expect.any(String), issuer: expect.any(String) } })
    expect((info as { value: { owner: string } }).value.owner.length).toBeGreaterThan(0)
    expect(await d('storage.copyDropped', { source, toRoot: otherRoot }, ctx)).toEqual({ ok: true, value: { path: dest(), outcome: 'copied' } })
    expect(readFileSync(join(dest(), 'signPri.key'))).toEqual(Buffer.from(fx.key))
    // Only the NPKI names are written: the page cannot put other files into a root.
    expect(existsSync(join(dest(), 'notes.txt'))).toBe(false)
    expect(events).toEqual([{ type: 'certs-changed' }])
  })

  it('stores a dropped folder named by its path (Electron), and refuses a root main does not list', async () => {
    const d = dispatcher()
    expect(await d('storage.copyDropped', { source: { path: src }, toRoot: otherRoot }, ctx)).toMatchObject({ ok: true, value: { path: dest(), outcome: 'copied' } })
    expect(await d('storage.copyDropped', { source: { path: src }, toRoot: join(tmp, 'elsewhere') }, ctx)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
  })

  it('refuses a dropped folder lacking signPri.key, by path and by bytes, and writes nothing', async () => {
    const d = dispatcher()
    const noKey = join(tmp, `nokey-${Date.now()}`)
    mkdirSync(noKey)
    writeFileSync(join(noKey, 'signCert.der'), fx.cert)
    for (const source of [{ path: noKey }, { files: [{ name: 'signCert.der', dataBase64: b64(fx.cert) }] }]) {
      expect(await d('storage.inspectDropped', { source }, ctx)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', params: { reason: 'not-cert-folder' } } })
      expect(await d('storage.copyDropped', { source, toRoot: otherRoot }, ctx)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', params: { reason: 'not-cert-folder' } } })
    }
    // A file, not a folder, named by its path.
    expect(await d('storage.copyDropped', { source: { path: join(noKey, 'signCert.der') }, toRoot: otherRoot }, ctx)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    expect(existsSync(dest())).toBe(false)
    expect(events).toEqual([])
  })

  it('refuses oversize files in a dropped folder, by path and by bytes, and writes nothing', async () => {
    const d = dispatcher()
    const big = new Uint8Array(MAX_CERT_FILE_BYTES + 1)
    const fat = join(tmp, `fat-${Date.now()}`)
    mkdirSync(fat)
    writeFileSync(join(fat, 'signCert.der'), fx.cert)
    writeFileSync(join(fat, 'signPri.key'), big)
    for (const source of [{ path: fat }, { files: [{ name: 'signCert.der', dataBase64: b64(fx.cert) }, { name: 'signPri.key', dataBase64: b64(big) }] }]) {
      expect(await d('storage.copyDropped', { source, toRoot: otherRoot }, ctx)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', params: { reason: 'too-large' } } })
    }
    expect(existsSync(dest())).toBe(false)
    expect(events).toEqual([])
  })
})
