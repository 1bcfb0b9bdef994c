import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pfxCalls } from '../../shared/contract/pfx'
import { CertError } from '../../shared/errors'
import { parseCertificate } from '../../core/certs/parse'
import { certIdFor, rememberCerts } from '../../core/certs/registry'
import type { FoundCert } from '../../core/certs/scan'
import { createDispatcher } from '../dispatch'
import { readPfx } from '../../core/formats/pfx'
import { decryptSignPri, parseEncryptedSignPri, readRandomNum } from '../../core/formats/signpri'
import { createPfxHandlers } from './handlers'
import { RootPolicy } from '../../core/roots/root-policy'
import { exportPfx, importPfx } from '../../core/pfx/operations'
import { RunningOps } from '../running-ops'

const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const PASSWORD = readFileSync(join(FIX, 'password.txt'), 'utf8')
const CERT = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const SIGN_PRI = new Uint8Array(readFileSync(join(FIX, 'signPri.key')))
const TEST_PFX = join(FIX, 'test.pfx')
const FACTS = parseCertificate(CERT)
const PKCS8 = decryptSignPri(SIGN_PRI, PASSWORD).pkcs8
const RANDOM_NUM = '7858b4328390805129f01c97fe6ca4a520cbd479'
const NEW_PASSWORD = 'Zx9!mk2#Qp7w'
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex')

async function codeOf(p: Promise<unknown>): Promise<{ code: string; params?: Record<string, unknown> }> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return { code: (e as CertError).code, params: (e as CertError).params }
  }
  return { code: 'resolved' }
}

let tmp = ''
let srcFolder = ''
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pfx-ops-'))
  srcFolder = join(tmp, 'src', 'NPKI', FACTS.caFolder, 'USER', FACTS.npkiFolderName)
  mkdirSync(srcFolder, { recursive: true })
  writeFileSync(join(srcFolder, 'signCert.der'), CERT)
  writeFileSync(join(srcFolder, 'signPri.key'), SIGN_PRI)
})
afterEach(() => rmSync(tmp, { recursive: true, force: true }))

describe('exportPfx', () => {
  for (const profile of ['modern', 'compatible'] as const) {
    it(`${profile}: writes a PFX that holds the folder's exact PKCS#8 (randomNum kept)`, async () => {
      const out = join(tmp, 'out', 'hong.pfx')
      const r = await exportPfx(srcFolder, PASSWORD, out, { profile, iterations: 1000 })
      expect(r).toEqual({ path: out, profile, hasRandomNum: true })
      const back = await readPfx(new Uint8Array(readFileSync(out)), PASSWORD)
      expect(hex(back.pkcs8)).toBe(hex(PKCS8))
      expect(hex(readRandomNum(back.pkcs8))).toBe(RANDOM_NUM)
      expect(hex(back.certDer)).toBe(hex(CERT))
      expect(back.friendlyName).toBe(FACTS.owner)
      expect(back.macAlgorithm).toBe(profile === 'modern' ? 'sha256' : 'sha1')
    })
  }

  it('uses a separate PFX password when given', async () => {
    const out = join(tmp, 'sep.pfx')
    await exportPfx(srcFolder, PASSWORD, out, { profile: 'compatible', pfxPassword: 'Pfx#only-2468', iterations: 100 })
    expect(hex((await readPfx(new Uint8Array(readFileSync(out)), 'Pfx#only-2468')).pkcs8)).toBe(hex(PKCS8))
    expect((await codeOf(readPfx(new Uint8Array(readFileSync(out)), PASSWORD))).code).toBe('WRONG_PASSWORD')
  })

  it('a wrong certificate password writes nothing', async () => {
    const out = join(tmp, 'nope.pfx')
    expect((await codeOf(exportPfx(srcFolder, PASSWORD + '1', out, { profile: 'modern', iterations: 100 }))).code).toBe('WRONG_PASSWORD')
    expect(existsSync(out)).toBe(false)
    expect((await codeOf(exportPfx(join(tmp, 'missing'), PASSWORD, out, { profile: 'modern' }))).code).toBe('NOT_FOUND')
  })
})

describe('importPfx', () => {
  const root = (): string => join(tmp, 'NPKI')
  const expectedFolder = (): string => join(root(), FACTS.caFolder, 'USER', FACTS.npkiFolderName)

  it('writes <root>/<CA>/USER/<DN> with signCert.der and a scheme A signPri.key under the PFX password', async () => {
    const r = await importPfx(TEST_PFX, PASSWORD, root())
    expect(r).toEqual({ folder: expectedFolder(), outcome: 'created', hasRandomNum: true })
    expect(readdirSync(r.folder).sort()).toEqual(['signCert.der', 'signPri.key'])
    expect(hex(new Uint8Array(readFileSync(join(r.folder, 'signCert.der'))))).toBe(hex(CERT))
    const keyFile = new Uint8Array(readFileSync(join(r.folder, 'signPri.key')))
    expect(parseEncryptedSignPri(keyFile).scheme).toBe('A')
    expect(hex(decryptSignPri(keyFile, PASSWORD).pkcs8)).toBe(hex(PKCS8))
  })

  it('a new key password must pass the NPKI rule; a good one protects the key', async () => {
    const bad = await codeOf(importPfx(TEST_PFX, PASSWORD, root(), { keyPassword: 'short1!' }))
    expect(bad.code).toBe('PASSWORD_RULE')
    expect(bad.params?.rule).toBe('length')
    expect(existsSync(root())).toBe(false)
    const r = await importPfx(TEST_PFX, PASSWORD, root(), { keyPassword: NEW_PASSWORD })
    const keyFile = new Uint8Array(readFileSync(join(r.folder, 'signPri.key')))
    expect(hex(decryptSignPri(keyFile, NEW_PASSWORD).pkcs8)).toBe(hex(PKCS8))
    expect((await codeOf(Promise.resolve().then(() => decryptSignPri(keyFile, PASSWORD)))).code).toBe('WRONG_PASSWORD')
  })

  it('wrong PFX password and a damaged PFX write nothing', async () => {
    expect((await codeOf(importPfx(TEST_PFX, 'wrong', root()))).code).toBe('WRONG_PASSWORD')
    const junk = join(tmp, 'junk.pfx')
    writeFileSync(junk, 'not a pfx')
    expect((await codeOf(importPfx(junk, PASSWORD, root()))).code).toBe('DAMAGED')
    expect((await codeOf(importPfx(join(tmp, 'absent.pfx'), PASSWORD, root()))).code).toBe('NOT_FOUND')
    expect(existsSync(root())).toBe(false)
  })

  it('same certificate: identical when the key opens the same, CONFLICT on other key files unless replace (km files kept)', async () => {
    await importPfx(TEST_PFX, PASSWORD, root())
    writeFileSync(join(expectedFolder(), 'kmCert.der'), 'km-cert')
    expect((await importPfx(TEST_PFX, PASSWORD, root())).outcome).toBe('identical')
    const conflict = await codeOf(importPfx(TEST_PFX, PASSWORD, root(), { keyPassword: NEW_PASSWORD }))
    expect(conflict).toEqual({ code: 'CONFLICT', params: { reason: 'key-differs' } })
    const r = await importPfx(TEST_PFX, PASSWORD, root(), { keyPassword: NEW_PASSWORD, replace: true })
    expect(r.outcome).toBe('replaced')
    expect(readFileSync(join(r.folder, 'kmCert.der'), 'utf8')).toBe('km-cert')
    expect(hex(decryptSignPri(new Uint8Array(readFileSync(join(r.folder, 'signPri.key'))), NEW_PASSWORD).pkcs8)).toBe(hex(PKCS8))
  })

  it('a different certificate in the way is a CONFLICT unless replace', async () => {
    mkdirSync(expectedFolder(), { recursive: true })
    writeFileSync(join(expectedFolder(), 'signCert.der'), 'someone else')
    writeFileSync(join(expectedFolder(), 'signPri.key'), 'their key')
    expect(await codeOf(importPfx(TEST_PFX, PASSWORD, root()))).toEqual({ code: 'CONFLICT', params: { reason: 'different-certificate' } })
    expect(readFileSync(join(expectedFolder(), 'signCert.der'), 'utf8')).toBe('someone else')
    const r = await importPfx(TEST_PFX, PASSWORD, root(), { replace: true })
    expect(r.outcome).toBe('replaced')
    expect(readdirSync(r.folder).sort()).toEqual(['signCert.der', 'signPri.key'])
  })

  it('reuses an existing "User" folder spelling', async () => {
    mkdirSync(join(root(), FACTS.caFolder, 'User'), { recursive: true })
    const r = await importPfx(TEST_PFX, PASSWORD, root())
    expect(r.folder).toBe(join(root(), FACTS.caFolder, 'User', FACTS.npkiFolderName))
  })

  it('export then import round-trips the key byte for byte', async () => {
    const out = join(tmp, 'rt.pfx')
    await exportPfx(srcFolder, PASSWORD, out, { profile: 'modern', iterations: 500 })
    const r = await importPfx(out, PASSWORD, root())
    expect(hex(decryptSignPri(new Uint8Array(readFileSync(join(r.folder, 'signPri.key'))), PASSWORD).pkcs8)).toBe(hex(PKCS8))
  })
})

describe('pfx handlers through the dispatcher', () => {
  const dispatch = createDispatcher(pfxCalls, createPfxHandlers({ roots: new RootPolicy(), ops: new RunningOps() }) as never)
  const ctx = { emit: () => undefined }

  it('pfx.export resolves the certificate id and writes the file', async () => {
    rememberCerts([{ path: srcFolder } as FoundCert])
    const out = join(tmp, 'h.pfx')
    const res = await dispatch('pfx.export', { certId: certIdFor(srcFolder), password: PASSWORD, profile: 'compatible', outPath: out }, ctx)
    expect(res).toEqual({ ok: true, value: { path: out, profile: 'compatible', hasRandomNum: true } })
    expect(hex((await readPfx(new Uint8Array(readFileSync(out)), PASSWORD)).pkcs8)).toBe(hex(PKCS8))
  })

  it('pfx.export refuses relative paths, unknown ids, bad profiles and wrong passwords', async () => {
    rememberCerts([{ path: srcFolder } as FoundCert])
    const id = certIdFor(srcFolder)
    const errorOf = async (req: unknown): Promise<string | undefined> => {
      const r = await dispatch('pfx.export', req, ctx)
      return r.ok ? undefined : r.error.code
    }
    expect(await errorOf({ certId: id, password: PASSWORD, profile: 'modern', outPath: 'rel.pfx' })).toBe('BAD_REQUEST')
    expect(await errorOf({ certId: 'nope', password: PASSWORD, profile: 'modern', outPath: join(tmp, 'a.pfx') })).toBe('NOT_FOUND')
    expect(await errorOf({ certId: id, password: PASSWORD, profile: 'weak', outPath: join(tmp, 'a.pfx') })).toBe('BAD_REQUEST')
    expect(await errorOf({ certId: id, password: 'wrong', profile: 'compatible', outPath: join(tmp, 'a.pfx') })).toBe('WRONG_PASSWORD')
  })

  it('pfx.import returns the new folder and its certificate id, and never key bytes', async () => {
    const res = await dispatch('pfx.import', { path: TEST_PFX, pfxPassword: PASSWORD, root: join(tmp, 'NPKI') }, ctx)
    const folder = join(tmp, 'NPKI', FACTS.caFolder, 'USER', FACTS.npkiFolderName)
    expect(res).toEqual({ ok: true, value: { folder, certId: certIdFor(folder), outcome: 'created', hasRandomNum: true } })
    const wrong = await dispatch('pfx.import', { path: TEST_PFX, pfxPassword: 'x', root: join(tmp, 'NPKI2') }, ctx)
    expect(wrong.ok ? 'ok' : wrong.error.code).toBe('WRONG_PASSWORD')
  })
})
