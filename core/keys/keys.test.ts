import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { seedCbcEncrypt } from '../formats/seed'
import { decryptSignPri, encryptSignPri, parseEncryptedSignPri, pbkdf1Sha1, readRandomNum } from '../formats/signpri'
import { realFs, type FsLayer } from '../storage/atomic'
import { changePassword, checkPassword, verifyIdentity } from './keys'
import { FIXTURE_PASSWORD, FIXTURE_RANDOM_NUM, fixtureFolder, opensslVidFolder } from './test-folders'

const NEW_PW = 'Nova#2417pw'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const read = (dir: string, name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)))

const root = mkdtempSync(join(tmpdir(), 'keys-test-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const fresh = (): string => fixtureFolder(join(root, `f${n++}`))

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(CertError)
    return (e as CertError).code
  }
  throw new Error('expected a CertError')
}

const ORIGINAL_PKCS8 = decryptSignPri(new Uint8Array(readFileSync(join(fixtureFolder(join(root, 'orig')), 'signPri.key'))), FIXTURE_PASSWORD).pkcs8

describe('checkPassword', () => {
  it('is true for the right password and false for a wrong one', async () => {
    const dir = fresh()
    expect(await checkPassword(dir, FIXTURE_PASSWORD)).toBe(true)
    expect(await checkPassword(dir, 'nope')).toBe(false)
  })

  it('a missing folder or file is NOT_FOUND, not a wrong password', async () => {
    expect(await codeOf(checkPassword(join(root, 'missing'), FIXTURE_PASSWORD))).toBe('NOT_FOUND')
    const dir = fresh()
    rmSync(join(dir, 'signCert.der'))
    expect(await codeOf(checkPassword(dir, FIXTURE_PASSWORD))).toBe('NOT_FOUND')
  })

  it('finds files whatever their case', async () => {
    const dir = fresh()
    renameSync(join(dir, 'signCert.der'), join(dir, 'SignCert.DER'))
    expect(await checkPassword(dir, FIXTURE_PASSWORD)).toBe(true)
  })
})

describe('changePassword', () => {
  it('re-encrypts signPri.key keeping PKCS#8 and randomNum byte for byte, scheme A stays A', async () => {
    const dir = fresh()
    const before = read(dir, 'signPri.key')
    const r = await changePassword(dir, FIXTURE_PASSWORD, NEW_PW)
    expect(r).toEqual({ signScheme: 'A', km: 'absent' })
    const after = read(dir, 'signPri.key')
    expect(hex(after)).not.toBe(hex(before))
    expect(hex(parseEncryptedSignPri(after).salt)).not.toBe(hex(parseEncryptedSignPri(before).salt))
    expect(parseEncryptedSignPri(after).scheme).toBe('A')
    expect(parseEncryptedSignPri(after).iterations).toBe(2048)
    const opened = decryptSignPri(after, NEW_PW)
    expect(hex(opened.pkcs8)).toBe(hex(ORIGINAL_PKCS8))
    expect(hex(readRandomNum(opened.pkcs8) as Uint8Array)).toBe(FIXTURE_RANDOM_NUM)
    expect(await checkPassword(dir, FIXTURE_PASSWORD)).toBe(false)
    expect(await checkPassword(dir, NEW_PW)).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['signCert.der', 'signPri.key']) // no temp files left
  })

  it('refuses a new password that breaks the rule, naming the rule, and leaves the key untouched', async () => {
    const dir = fresh()
    const before = hex(read(dir, 'signPri.key'))
    try {
      await changePassword(dir, FIXTURE_PASSWORD, 'short1!')
      throw new Error('expected failure')
    } catch (e) {
      expect((e as CertError).code).toBe('PASSWORD_RULE')
      expect((e as CertError).params).toEqual({ rule: 'length' })
    }
    expect(await codeOf(changePassword(dir, FIXTURE_PASSWORD, 'Xabc!9q7w5'))).toBe('PASSWORD_RULE')
    expect(hex(read(dir, 'signPri.key'))).toBe(before)
  })

  it('a wrong old password is WRONG_PASSWORD and changes nothing', async () => {
    const dir = fresh()
    const before = hex(read(dir, 'signPri.key'))
    expect(await codeOf(changePassword(dir, 'not-it', NEW_PW))).toBe('WRONG_PASSWORD')
    expect(hex(read(dir, 'signPri.key'))).toBe(before)
  })

  it('rewrites kmPri.key too, keeping its scheme C', async () => {
    const dir = fresh()
    copyFileSync(join(dir, 'signCert.der'), join(dir, 'kmCert.der'))
    writeFileSync(join(dir, 'kmPri.key'), encryptSignPri(ORIGINAL_PKCS8, FIXTURE_PASSWORD, { scheme: 'C' }))
    const r = await changePassword(dir, FIXTURE_PASSWORD, NEW_PW)
    expect(r).toEqual({ signScheme: 'A', km: 'changed', kmScheme: 'C' })
    const km = read(dir, 'kmPri.key')
    expect(parseEncryptedSignPri(km).scheme).toBe('C')
    expect(hex(decryptSignPri(km, NEW_PW).pkcs8)).toBe(hex(ORIGINAL_PKCS8))
  })

  it('C stays C for signPri.key, and B is rewritten as A', async () => {
    const dirC = fresh()
    writeFileSync(join(dirC, 'signPri.key'), encryptSignPri(ORIGINAL_PKCS8, FIXTURE_PASSWORD, { scheme: 'C', iterations: 1024 }))
    expect((await changePassword(dirC, FIXTURE_PASSWORD, NEW_PW)).signScheme).toBe('C')
    const c = parseEncryptedSignPri(read(dirC, 'signPri.key'))
    expect(c.scheme).toBe('C')
    expect(c.iterations).toBe(2048) // raised to the usual minimum

    // Scheme B: the scheme A layout with the seedCBC OID and the fixed IV.
    const dirB = fresh()
    const a = encryptSignPri(ORIGINAL_PKCS8, FIXTURE_PASSWORD, { scheme: 'A' })
    const dk = pbkdf1Sha1(new TextEncoder().encode(FIXTURE_PASSWORD), parseEncryptedSignPri(a).salt, 2048)
    const ct = seedCbcEncrypt(dk.slice(0, 16), new TextEncoder().encode('0123456789012345'), ORIGINAL_PKCS8)
    const b = a.slice()
    expect(b[15]).toBe(0x0f)
    b[15] = 0x04 // 1.2.410.200004.1.15 → 1.2.410.200004.1.4
    b.set(ct, b.length - ct.length)
    writeFileSync(join(dirB, 'signPri.key'), b)
    expect(parseEncryptedSignPri(b).scheme).toBe('B')
    expect((await changePassword(dirB, FIXTURE_PASSWORD, NEW_PW)).signScheme).toBe('A')
    expect(parseEncryptedSignPri(read(dirB, 'signPri.key')).scheme).toBe('A')
    expect(hex(decryptSignPri(read(dirB, 'signPri.key'), NEW_PW).pkcs8)).toBe(hex(ORIGINAL_PKCS8))
  })

  it('leaves a kmPri.key under another password alone', async () => {
    const dir = fresh()
    const km = encryptSignPri(ORIGINAL_PKCS8, 'Other#pw123', { scheme: 'A' })
    writeFileSync(join(dir, 'kmPri.key'), km)
    const r = await changePassword(dir, FIXTURE_PASSWORD, NEW_PW)
    expect(r.km).toBe('skipped')
    expect(hex(read(dir, 'kmPri.key'))).toBe(hex(km))
    expect(await checkPassword(dir, NEW_PW)).toBe(true)
  })

  it('when writing kmPri.key fails, signPri.key is not touched', async () => {
    const dir = fresh()
    copyFileSync(join(dir, 'signCert.der'), join(dir, 'kmCert.der'))
    writeFileSync(join(dir, 'kmPri.key'), encryptSignPri(ORIGINAL_PKCS8, FIXTURE_PASSWORD, { scheme: 'A' }))
    const before = { sign: hex(read(dir, 'signPri.key')), km: hex(read(dir, 'kmPri.key')) }
    const failing: FsLayer = {
      ...realFs,
      open: async () => {
        const e = new Error('no space') as Error & { code: string }
        e.code = 'ENOSPC'
        throw e
      },
    }
    await expect(changePassword(dir, FIXTURE_PASSWORD, NEW_PW, { fs: failing })).rejects.toMatchObject({ code: 'ENOSPC' })
    expect({ sign: hex(read(dir, 'signPri.key')), km: hex(read(dir, 'kmPri.key')) }).toEqual(before)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('verifyIdentity', () => {
  const IDN = '9001011234567'
  const RN = Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex'))
  let vidDir: string
  let noVidDir: string

  beforeAll(() => {
    vidDir = opensslVidFolder(join(root, 'vid'), NEW_PW, RN, IDN)
    noVidDir = opensslVidFolder(join(root, 'novid'), NEW_PW, RN, undefined)
  })

  it('matches the resident number the certificate was issued for', async () => {
    expect(await verifyIdentity(vidDir, NEW_PW, IDN)).toBe('match')
    expect(await verifyIdentity(vidDir, NEW_PW, '900101-1234567')).toBe('match')
  })

  it('mismatches another number, also on the fixture', async () => {
    expect(await verifyIdentity(vidDir, NEW_PW, '9001011234568')).toBe('mismatch')
    expect(await verifyIdentity(fresh(), FIXTURE_PASSWORD, '8001011234567')).toBe('mismatch')
  })

  it('reports no-vid when the certificate carries none', async () => {
    expect(await verifyIdentity(noVidDir, NEW_PW, IDN)).toBe('no-vid')
  })

  it('rejects malformed numbers and wrong passwords', async () => {
    expect(await codeOf(verifyIdentity(vidDir, NEW_PW, '12345'))).toBe('BAD_REQUEST')
    expect(await codeOf(verifyIdentity(vidDir, NEW_PW, '900101-123456X'))).toBe('BAD_REQUEST')
    expect(await codeOf(verifyIdentity(vidDir, 'wrong', IDN))).toBe('WRONG_PASSWORD')
  })

  it('the VID still matches after a password change (randomNum preserved)', async () => {
    const dir = opensslVidFolder(join(root, 'vid2'), NEW_PW, RN, IDN)
    await changePassword(dir, NEW_PW, 'Second#pw7531')
    expect(await verifyIdentity(dir, 'Second#pw7531', IDN)).toBe('match')
    expect(existsSync(join(dir, 'signPri.key'))).toBe(true)
  })
})
