import { mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { addPinkCert, tempDir } from '../../tests/helpers/fixtures'
import type { DriveVolume } from '../drives/types'
import { certIdFor } from '../certs/identity'
import { scanRoots } from '../certs/scan'
import { RootPolicy, drivesOnDemand, systemRootPolicy } from './root-policy'
import { assertNoLinkBelow } from './links'
import { Trash } from '../storage/trash'
import { existsSync, renameSync } from 'node:fs'

const made: string[] = []
function work(): string {
  const d = tempDir('certmgr-roots-')
  made.push(d)
  return d
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
})

function stick(mount: string): DriveVolume {
  mkdirSync(mount, { recursive: true })
  return { id: '/dev/sdz1', mountPoint: mount, readOnly: false, kind: 'usb-stick', label: 'STICK' }
}

describe('RootPolicy', () => {
  it('answers roots in order (env or OS, settings, drives), the default, and which take writes', async () => {
    const w = work()
    const a = join(w, 'a', 'NPKI')
    const extra = join(w, 'extra', 'NPKI')
    const locked = { ...stick(join(w, 'locked')), id: '/dev/sdy1', readOnly: true }
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: a }, extraRoots: () => [extra], drives: () => [stick(join(w, 'usb')), locked] })
    const roots = await policy.roots()
    expect(roots.map((r) => [r.path, r.source, r.location])).toEqual([
      [a, 'env', 'pc'],
      [extra, 'settings', 'pc'],
      [join(w, 'usb', 'NPKI'), 'drive', 'usb'],
      [join(w, 'locked', 'NPKI'), 'drive', 'usb'],
    ])
    expect(policy.defaultRoot()).toBe(a)
    expect(await policy.isWritable(roots[0]!)).toBe(true)
    expect(await policy.isWritable(roots[3]!)).toBe(false)
    expect((await policy.requireRoot(extra)).path).toBe(extra)
    await expect(policy.requireRoot(join(w, 'elsewhere', 'NPKI'))).rejects.toMatchObject({ code: 'FORBIDDEN' })
    await expect(policy.requireRoot(a, ['usb'])).rejects.toMatchObject({ code: 'IO', params: { reason: 'device' } })
  })

  it('the same folder through two paths is one root, kept at its first spelling', async () => {
    const w = work()
    const real = join(w, 'home', 'NPKI')
    addPinkCert(real)
    mkdirSync(join(w, 'alias'))
    symlinkSync(real, join(w, 'alias', 'NPKI'))
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: real }, extraRoots: () => [join(w, 'alias', 'NPKI')] })
    expect((await policy.roots()).map((r) => r.path)).toEqual([real])
    // Named by the other spelling, it is still that root.
    expect((await policy.requireRoot(join(w, 'alias', 'NPKI'))).path).toBe(real)
    const { certs } = await policy.scan()
    expect(certs).toHaveLength(1)
    const [viaReal] = certs
    expect(certIdFor(join(w, 'alias', 'NPKI', 'yessign', 'USER', viaReal!.path.split('/').pop()!))).toBe(viaReal!.id)
  })

  it('a folder given on the command line that holds an NPKI folder is looked into', () => {
    const w = work()
    addPinkCert(join(w, 'NPKI'))
    const policy = new RootPolicy({ env: {} })
    expect(policy.given(w).path).toBe(join(w, 'NPKI'))
    expect(policy.given(join(w, 'NPKI')).path).toBe(join(w, 'NPKI'))
    expect(scanRoots([policy.given(w)]).certs).toHaveLength(1)
  })
})

describe('links below a root', () => {
  it('symlinked CA folder on a drive: the PC certificates are not shown as the drive’s', async () => {
    const w = work()
    const pc = join(w, 'home', 'NPKI')
    const original = addPinkCert(pc)
    const usb = stick(join(w, 'usb'))
    mkdirSync(join(w, 'usb', 'NPKI'))
    symlinkSync(join(pc, 'yessign'), join(w, 'usb', 'NPKI', 'yessign'))
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: pc }, drives: () => [usb] })
    const { certs, roots } = await policy.scan()
    expect(certs.map((c) => [c.path, c.root.location])).toEqual([[original, 'pc']])
    expect(roots.find((r) => r.root.location === 'usb')).toMatchObject({ exists: true, found: 0 })
  })

  it('file links out of a drive’s root: the PC’s certificate is not shown as the drive’s', async () => {
    const w = work()
    const pc = join(w, 'home', 'NPKI')
    const original = addPinkCert(pc)
    const usb = stick(join(w, 'usb'))
    const fake = join(w, 'usb', 'NPKI', 'yessign', 'USER', 'cn=fake')
    mkdirSync(fake, { recursive: true })
    symlinkSync(join(original, 'signCert.der'), join(fake, 'signCert.der'))
    symlinkSync(join(original, 'signPri.key'), join(fake, 'signPri.key'))
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: pc }, drives: () => [usb] })
    const { certs } = await policy.scan()
    expect(certs.find((c) => c.path === fake)).toMatchObject({ state: 'damaged', damaged: 'signCert.der is a link out of its NPKI folder', root: { location: 'usb' } })
    expect(certs.find((c) => c.path === fake)?.facts).toBeUndefined()
  })

  it('a drive whose NPKI folder is a link to the PC’s is not a root on the drive', async () => {
    const w = work()
    const pc = join(w, 'home', 'NPKI')
    addPinkCert(pc)
    const usb = stick(join(w, 'usb'))
    symlinkSync(pc, join(w, 'usb', 'NPKI'))
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: join(w, 'other', 'NPKI') }, drives: () => [usb] })
    expect(await policy.driveRoots()).toEqual([])
    expect((await policy.scan()).certs).toEqual([])
  })

  it('driveFolders: each drive with its NPKI folder, followed or not, and whether it holds one', async () => {
    const w = work()
    const fresh = stick(join(w, 'fresh'))
    const full = { ...stick(join(w, 'full')), id: '/dev/sdy1' }
    addPinkCert(join(w, 'full', 'NPKI'))
    const linked = { ...stick(join(w, 'linked')), id: '/dev/sdx1' }
    symlinkSync(join(w, 'full', 'NPKI'), join(w, 'linked', 'NPKI'))
    const policy = new RootPolicy({ env: { CERTMGR_NPKI_ROOTS: join(w, 'pc', 'NPKI') }, drives: () => [fresh, full, linked] })
    const folders = await policy.driveFolders()
    expect(folders.map((f) => [f.drive.id, f.path, f.root?.path, f.hasNpki])).toEqual([
      ['/dev/sdz1', join(w, 'fresh', 'NPKI'), join(w, 'fresh', 'NPKI'), false],
      ['/dev/sdy1', join(w, 'full', 'NPKI'), join(w, 'full', 'NPKI'), true],
      ['/dev/sdx1', join(w, 'linked', 'NPKI'), undefined, false],
    ])
  })

  it('systemRootPolicy asks the OS for drives once, on first need, and not for a named root or the default', async () => {
    const w = work()
    const usb = stick(join(w, 'usb'))
    let asked = 0
    const policy = systemRootPolicy({ env: { CERTMGR_NPKI_ROOTS: join(w, 'pc', 'NPKI') }, drives: drivesOnDemand({ platform: 'linux', run: async () => (asked++, JSON.stringify({ blockdevices: [{ name: 'sdb1', path: '/dev/sdb1', rm: true, hotplug: true, ro: false, type: 'part', mountpoints: [usb.mountPoint], tran: 'usb' }] })) }) })
    policy.given(w)
    policy.defaultRoot()
    expect(asked).toBe(0)
    expect((await policy.driveRoots()).map((r) => r.path)).toEqual([join(w, 'usb', 'NPKI')])
    await policy.scan()
    expect(asked).toBe(1)
  })

  it('a link that stays inside the root is followed, and its folder is shown once by its real path', () => {
    const w = work()
    const root = join(w, 'NPKI')
    const real = addPinkCert(root)
    symlinkSync(join(root, 'yessign'), join(root, 'yessign-alias'))
    const { certs } = scanRoots([{ path: root, source: 'env', location: 'pc' }])
    expect(certs.map((c) => c.path)).toEqual([real])
  })

  it('nothing is written or deleted through a link below a root', () => {
    const w = work()
    const root = join(w, 'usb', 'NPKI')
    mkdirSync(root, { recursive: true })
    mkdirSync(join(w, 'pc', 'yessign', 'USER'), { recursive: true })
    symlinkSync(join(w, 'pc', 'yessign'), join(root, 'yessign'))
    expect(() => assertNoLinkBelow(root, join(root, 'yessign', 'USER', 'cn=x'))).toThrowError(expect.objectContaining({ code: 'FORBIDDEN', params: { reason: 'link' } }))
    expect(() => assertNoLinkBelow(root, join(root, 'KICA', 'USER', 'cn=x'))).not.toThrow()
    expect(() => assertNoLinkBelow(root, join(w, 'pc', 'yessign'))).toThrowError(expect.objectContaining({ code: 'FORBIDDEN', params: { reason: 'outside-root' } }))
  })

  it('the trash neither deletes nor restores through a linked CA folder', async () => {
    const w = work()
    const pc = join(w, 'home', 'NPKI')
    const original = addPinkCert(pc)
    const stickRoot = join(w, 'usb', 'NPKI')
    const copy = addPinkCert(stickRoot)
    const trash = new Trash(join(w, 'data'))
    // Deleted as the stick's copy, then the stick's CA folder becomes a link to the PC's.
    const entry = await trash.put(copy)
    renameSync(join(stickRoot, 'yessign'), join(w, 'gone'))
    symlinkSync(join(pc, 'yessign'), join(stickRoot, 'yessign'))
    rmSync(join(original, 'signPri.key'))
    await expect(trash.restore(entry.id, { overwrite: true })).rejects.toMatchObject({ code: 'FORBIDDEN', params: { reason: 'link' } })
    expect(existsSync(join(original, 'signPri.key'))).toBe(false)
    // And deleting "the stick's copy" through the link leaves the PC's folder where it is.
    await expect(trash.put(join(stickRoot, 'yessign', 'USER', original.split('/').pop()!))).rejects.toMatchObject({ code: 'FORBIDDEN' })
    expect(existsSync(join(original, 'signCert.der'))).toBe(true)
  })
})
