import { execFileSync, spawnSync } from 'node:child_process'
import { verify, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSignKey } from '../../core/formats/signpri'
import { readCertFiles } from '../../core/storage/folder'
import { copyCert } from '../../core/storage/operations'
import { importToToken, listTokenCerts, signWithToken, type TokenRef } from '../../core/token/pkcs11'
import { addPinkCert, PINK, PINK_PASSWORD } from '../helpers/fixtures'

// The storage issue's promise, end to end: a certificate copied PC → USB root → security token
// and back is byte-identical wherever bytes can be compared, and opens with its password (or,
// on the token, signs with its PIN) everywhere. The token's copy is read back with pkcs11-tool.
const MODULE = '/usr/lib/softhsm/libsofthsm2.so'
const LABEL = 'certmgr-roundtrip'
const PIN = '246810'
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certmgr-roundtrip-'))
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`)
  execFileSync('mkdir', ['-p', join(dir, 'tokens')])
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf')
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', '13579135'], { env: process.env, stdio: 'pipe' })
})
afterAll(() => {
  delete process.env.SOFTHSM2_CONF
  rmSync(dir, { recursive: true, force: true })
})

describe('PC → USB → token and back', () => {
  it('keeps every byte and opens everywhere', async () => {
    const pcFolder = addPinkCert(join(dir, 'pc', 'NPKI'))
    const original = await readCertFiles(pcFolder)

    // PC → the NPKI root of a USB drive (a folder standing in for its mount point).
    const usb = await copyCert(pcFolder, { toRoot: join(dir, 'usb', 'NPKI'), password: PINK_PASSWORD })
    const onUsb = await readCertFiles(usb.path)
    expect(Object.keys(onUsb).sort()).toEqual(Object.keys(original).sort())
    for (const name of Object.keys(original)) expect(Buffer.compare(onUsb[name]!, original[name]!)).toBe(0)
    expect(openSignKey(onUsb['signCert.der']!, onUsb['signPri.key']!, PINK_PASSWORD).randomNum).toBeDefined()

    // USB → token, as the storage handler and the CLI do it: the certificate as it was, the key
    // non-extractable behind the PIN.
    const ref: TokenRef = { module: MODULE, label: LABEL }
    const opened = openSignKey(onUsb['signCert.der']!, onUsb['signPri.key']!, PINK_PASSWORD)
    const onToken = await importToToken(ref, PIN, { certDer: onUsb['signCert.der']!, pkcs8: opened.pkcs8 })
    const listed = await listTokenCerts(ref, PIN)
    expect(listed).toEqual([expect.objectContaining({ idHex: onToken.idHex, serialHex: '459c75', hasPrivateKey: true })])
    const out = join(dir, 'from-token.der')
    const r = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', LABEL, '--read-object', '--type', 'cert', '--id', onToken.idHex!, '--output-file', out], { env: process.env, encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(Buffer.compare(readFileSync(out), readFileSync(join(PINK, 'signCert.der')))).toBe(0)
    const data = Buffer.from('proof of possession on the token')
    const sig = await signWithToken(ref, PIN, onToken.idHex!, data)
    expect(verify('sha256', data, new X509Certificate(readFileSync(join(PINK, 'signCert.der'))).publicKey, sig)).toBe(true)

    // Back: the token never gives its key away; the USB copy comes back to a fresh PC root intact.
    // (pkcs11-tool prints "extractable" among a key's access flags when it may leave the token.)
    const keys = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', LABEL, '--login', '--pin', PIN, '--list-objects', '--type', 'privkey'], { env: process.env, encoding: 'utf8' })
    const access = /Access:\s*(.*)/.exec(keys.stdout)?.[1] ?? ''
    expect(access).toContain('sensitive')
    expect(access.replace('never extractable', '')).not.toContain('extractable')
    const back = await copyCert(usb.path, { toRoot: join(dir, 'pc2', 'NPKI'), password: PINK_PASSWORD })
    const returned = await readCertFiles(back.path)
    for (const name of Object.keys(original)) expect(Buffer.compare(returned[name]!, original[name]!)).toBe(0)
    expect(() => openSignKey(returned['signCert.der']!, returned['signPri.key']!, PINK_PASSWORD)).not.toThrow()
  })
})
