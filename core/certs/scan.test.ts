import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addPinkCert, makeMixedRoot, PINK, tempDir } from '../../tests/helpers/fixtures'
import { parseCertificate } from './parse'
import { RootPolicy } from '../roots/root-policy'
import { npkiRoots, osNpkiRoots } from './roots'
import { scanRoots } from './scan'

describe('parseCertificate', () => {
  const facts = parseCertificate(readFileSync(join(PINK, 'signCert.der')))
  it('reads the PyPinkSign fixture as NPKI.md describes it', () => {
    expect(facts.subjectDn).toBe('cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr')
    expect(facts.owner).toBe('HKD')
    expect(facts.caFolder).toBe('yessign')
    expect(facts.policyOid).toBe('1.2.410.200005.1.1.4')
    expect(facts.notAfter.toISOString()).toBe('2020-03-25T14:59:59.000Z')
    expect(facts.keyAlgorithm).toBe('RSA')
    expect(facts.keySize).toBe(2048)
    expect(facts.keyUsage).toEqual(['digitalSignature', 'nonRepudiation'])
  })
  it('agrees with node’s native X.509 parser on serial and validity', async () => {
    const { X509Certificate } = await import('node:crypto')
    const x = new X509Certificate(readFileSync(join(PINK, 'signCert.der')))
    expect(facts.serialHex.toUpperCase()).toBe(x.serialNumber.replace(/^0+/, ''))
    expect(facts.notBefore.getTime()).toBe(new Date(x.validFrom).getTime())
    expect(facts.notAfter.getTime()).toBe(new Date(x.validTo).getTime())
  })
  it('turns garbage into a DAMAGED error', () => {
    expect(() => parseCertificate(new Uint8Array([0x30, 0x03, 1, 2]))).toThrowError(expect.objectContaining({ code: 'DAMAGED' }))
  })
})

describe('scanRoots', () => {
  it('lists good and damaged folders without breaking, matching USER in any case', () => {
    const { root, good, corrupt, keyless } = makeMixedRoot()
    const { certs, roots } = scanRoots([{ path: root, source: 'env', location: 'pc' }], new Date('2026-01-01'))
    expect(roots[0]).toMatchObject({ exists: true, found: 3 })
    const byPath = new Map(certs.map((c) => [c.path, c]))
    expect(byPath.get(good)).toMatchObject({ state: 'expired', kind: 'limited', hasKey: true })
    expect(byPath.get(corrupt)).toMatchObject({ state: 'damaged', damaged: 'signCert.der is corrupt' })
    expect(byPath.get(keyless)).toMatchObject({ state: 'damaged', damaged: 'signPri.key is missing' })
  })
  it('reports a missing root as not existing', () => {
    const { roots, certs } = scanRoots([{ path: join(tempDir(), 'nope'), source: 'os', location: 'pc' }])
    expect(certs).toHaveLength(0)
    expect(roots[0]?.exists).toBe(false)
  })
  it('ignores hidden temp folders left by interrupted writes', () => {
    const root = join(tempDir(), 'NPKI')
    addPinkCert(root)
    addPinkCert(root, { folder: '.cn=x.abc123.tmp' })
    expect(scanRoots([{ path: root, source: 'env', location: 'pc' }]).certs).toHaveLength(1)
  })
})

describe('npkiRoots', () => {
  it('uses CERTMGR_NPKI_ROOTS instead of the OS folders, plus settings and drives', async () => {
    const r = npkiRoots({ env: { CERTMGR_NPKI_ROOTS: '/a/NPKI:/b/NPKI' }, extra: ['/c/NPKI', '/a/NPKI'], platform: 'linux' })
    expect(r.map((x) => [x.path, x.source, x.location])).toEqual([
      ['/a/NPKI', 'env', 'pc'],
      ['/b/NPKI', 'env', 'pc'],
      ['/c/NPKI', 'settings', 'pc'],
    ])
    // The drives are added by the root policy, the only caller, after the computer's roots.
    const policy = new RootPolicy({
      env: { CERTMGR_NPKI_ROOTS: '/a/NPKI:/b/NPKI' },
      extraRoots: () => ['/c/NPKI', '/a/NPKI'],
      drives: () => [{ id: '/dev/sdz1', mountPoint: '/media/usb', readOnly: false, kind: 'usb-stick', label: 'USB' }],
      platform: 'linux',
    })
    expect((await policy.roots()).map((x) => [x.path, x.source, x.location])).toEqual([
      ['/a/NPKI', 'env', 'pc'],
      ['/b/NPKI', 'env', 'pc'],
      ['/c/NPKI', 'settings', 'pc'],
      ['/media/usb/NPKI', 'drive', 'usb'],
    ])
  })
  it('knows each OS’s NPKI folders', () => {
    expect(osNpkiRoots('linux', {}, '/home/kim')).toEqual(['/home/kim/NPKI'])
    expect(osNpkiRoots('darwin', {}, '/Users/kim')[0]).toBe('/Users/kim/Library/Preferences/NPKI')
    const win = osNpkiRoots('win32', { USERPROFILE: 'C:\\Users\\kim', ProgramFiles: 'C:\\Program Files' }, 'x')
    expect(win[0]).toContain('LocalLow')
    expect(win.some((p) => p.includes('Program Files'))).toBe(true)
  })
})
