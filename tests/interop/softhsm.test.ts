import { execFileSync, spawnSync } from 'node:child_process'
import { createPublicKey, verify, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pkcs11js from 'pkcs11js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCertificate } from '../../core/certs/parse'
import { openSignKey } from '../../core/formats/signpri'
import {
  deleteFromToken,
  generateTokenKey,
  importToToken,
  listTokenCerts,
  listTokens,
  refuseKeyExport,
  signWithToken,
  tokenKeyFlags,
  type TokenRef,
} from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'

const MODULE = '/usr/lib/softhsm/libsofthsm2.so'
const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const LABEL = 'certmgr-test'
const PIN = '123456'
const SO_PIN = '12345678'

let dir = ''
let guard: PinGuard
const ref: TokenRef = { module: MODULE, label: LABEL }
const certDer = new Uint8Array(readFileSync(join(FIX, 'signCert.der')))
const password = readFileSync(join(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')

function p11tool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', LABEL, ...args], { encoding: 'utf8', env: process.env })
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certmgr-softhsm-'))
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`)
  execFileSync('mkdir', ['-p', join(dir, 'tokens')])
  // SoftHSM reads its configuration at C_Initialize; both our module and pkcs11-tool see this.
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf')
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', SO_PIN], { env: process.env, stdio: 'pipe' })
  guard = new PinGuard(join(dir, 'pins.json'), 5)
})

afterAll(() => {
  delete process.env.SOFTHSM2_CONF
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('SoftHSM2 token', () => {
  let idHex = ''

  it('lists the initialised token', async () => {
    const tokens = await listTokens([MODULE, '/nonexistent/libnothing.so'])
    const t = tokens.find((x) => x.label === LABEL)
    expect(t).toBeDefined()
    expect(t!.manufacturer).toBe('SoftHSM project')
    expect(t!.pinLocked).toBe(false)
  })

  it('imports the fixture certificate and key, and a second import is a no-op', async () => {
    const { pkcs8 } = openSignKey(certDer, new Uint8Array(readFileSync(join(FIX, 'signPri.key'))), password)
    const r = await importToToken(ref, PIN, { certDer, pkcs8 }, { guard })
    expect(r.outcome).toBe('imported')
    expect(r.idHex).toMatch(/^[0-9a-f]{40}$/)
    idHex = r.idHex
    expect((await importToToken(ref, PIN, { certDer, pkcs8 }, { guard })).outcome).toBe('identical')
  })

  it('lists the certificate with serial, owner and its key, and pkcs11-tool sees the same objects', async () => {
    const certs = await listTokenCerts(ref, PIN, { guard })
    const facts = parseCertificate(certDer)
    expect(certs).toEqual([expect.objectContaining({ idHex, serialHex: facts.serialHex, owner: facts.owner, hasPrivateKey: true })])
    const o = p11tool('--login', '--pin', PIN, '-O')
    expect(o.status).toBe(0)
    expect(o.out).toMatch(/Certificate Object; type = X\.509 cert/)
    expect(o.out).toMatch(/Private Key Object; RSA/)
    const ids = [...o.out.matchAll(/ID:\s+([0-9a-f]+)/g)].map((m) => m[1])
    expect(ids.filter((x) => x === idHex)).toHaveLength(3) // certificate, private key, public key
    expect(o.out).toMatch(/Access:\s+sensitive, always sensitive, never extractable|Access:\s+sensitive/)
  })

  it('signs on the token; openssl verifies with the certificate public key', async () => {
    const data = new TextEncoder().encode('공동인증서 token signature check')
    const sig = await signWithToken(ref, PIN, idHex, data, { guard })
    expect(sig.length).toBe(256)
    writeFileSync(join(dir, 'data.bin'), data)
    writeFileSync(join(dir, 'sig.bin'), sig)
    writeFileSync(join(dir, 'pub.pem'), new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'pem' }))
    const v = spawnSync('/usr/bin/openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.bin'), join(dir, 'data.bin')], { encoding: 'utf8' })
    expect(v.stdout).toContain('Verified OK')
    expect(verify('sha256', data, new X509Certificate(certDer).publicKey, sig)).toBe(true)
  })

  it('keeps the private key on the token', async () => {
    expect(await tokenKeyFlags(ref, PIN, idHex, { guard })).toEqual({ sensitive: true, extractable: false })
    // pkcs11-tool's own view of the key object: sensitive, and never marked extractable.
    const o = p11tool('--login', '--pin', PIN, '-O', '--type', 'privkey', '--id', idHex)
    const access = /Private Key Object[\s\S]*?Access:\s+([^\n]+)/.exec(o.out)?.[1] ?? ''
    expect(access).toContain('sensitive')
    expect(access.replace('never extractable', '')).not.toContain('extractable')
    // And the token refuses to hand out the private exponent to anyone who asks.
    const p = new pkcs11js.PKCS11()
    p.load(MODULE)
    p.C_Initialize()
    try {
      const slot = p.C_GetSlotList(true).find((h) => p.C_GetTokenInfo(h).label.trim() === LABEL)!
      const s = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION)
      p.C_Login(s, pkcs11js.CKU_USER, PIN)
      p.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') }])
      const [key] = p.C_FindObjects(s, 1)
      p.C_FindObjectsFinal(s)
      expect(() => p.C_GetAttributeValue(s, key!, [{ type: pkcs11js.CKA_PRIVATE_EXPONENT }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/)
    } finally {
      p.C_Finalize()
      p.close()
    }
    expect(() => refuseKeyExport()).toThrow(expect.objectContaining({ code: 'TOKEN', params: { reason: 'non-extractable' } }))
  })

  it('generates an RSA-2048 key pair on the token whose signatures verify with the returned SPKI', async () => {
    const k = await generateTokenKey(ref, PIN, { label: 'issuance key' }, { guard })
    const pub = createPublicKey({ key: Buffer.from(k.spkiDer), format: 'der', type: 'spki' })
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048)
    const data = new TextEncoder().encode('csr bytes')
    const sig = await signWithToken(ref, PIN, k.idHex, data, { guard })
    expect(verify('sha256', data, pub, sig)).toBe(true)
    expect(await tokenKeyFlags(ref, PIN, k.idHex, { guard })).toEqual({ sensitive: true, extractable: false })
    expect(p11tool('--login', '--pin', PIN, '-O').out).toContain(k.idHex)
    expect((await deleteFromToken(ref, PIN, k.idHex, { guard })).removed).toBe(2)
  })

  it('deletes the certificate and its keys', async () => {
    expect((await deleteFromToken(ref, PIN, idHex, { guard })).removed).toBe(3)
    expect(await listTokenCerts(ref, PIN, { guard })).toEqual([])
    expect(p11tool('--login', '--pin', PIN, '-O').out).not.toContain(idHex)
    await expect(deleteFromToken(ref, PIN, idHex, { guard })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('reports a missing token and an unloadable module', async () => {
    await expect(listTokenCerts({ module: MODULE, slot: 'deadbeef00000000' }, PIN, { guard })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'token-removed' } })
    await expect(listTokenCerts({ module: join(dir, 'missing.so') }, PIN, { guard })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'module' } })
  })

  it('counts wrong PINs and refuses after the limit, because SoftHSM2 itself never locks', async () => {
    for (let left = 4; left >= 0; left--) {
      await expect(listTokenCerts(ref, '000000', { guard })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'pin-incorrect', attemptsLeft: left } })
    }
    // SoftHSM2 still accepts the right PIN after five wrong ones: it has no retry counter.
    expect(p11tool('--login', '--pin', PIN, '-O').status).toBe(0)
    expect((await listTokens([MODULE])).find((t) => t.label === LABEL)?.pinLocked).toBe(false)
    // Our service refuses even the right PIN now, and the count survives a new process.
    await expect(listTokenCerts(ref, PIN, { guard })).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'pin-locked', source: 'app' } })
    await expect(listTokenCerts(ref, PIN, { guard: new PinGuard(join(dir, 'pins.json'), 5) })).rejects.toMatchObject({ params: { reason: 'pin-locked' } })
    const serial = (await listTokens([MODULE])).find((t) => t.label === LABEL)!.serial
    await guard.reset(`${MODULE}#${serial}`)
    expect(await listTokenCerts(ref, PIN, { guard })).toEqual([])
  })
})
