/**
 * Renewal from the command line against `certmgr center serve --renewal-check signature`, run
 * as its own process: `certmgr renew` (a folder, and a certificate on a SoftHSM2 token, checked
 * with pkcs11-tool) and `openssl cmp -cmd kur` both renew on the signature alone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/certmgr'
import { parseCertificate } from '../../core/certs/parse'
import { openSignKey } from '../../core/formats/signpri'
import { tokenRandomNum } from '../../core/token/pkcs11'
import { tempDir } from '../helpers/fixtures'
import { pkcs11ToolObjects, SOFTHSM_MODULE, softHsm, type SoftHsm } from '../helpers/softhsm'
import { textIO } from '../helpers/cli-io'

const REPO = resolve(import.meta.dirname, '../..')
const PASSWORD = 'Qwer!9a8s7d'
const LABEL = 'renew-token'
const PIN = '246810'
let server: ChildProcess
let url = ''
let work = ''
let data = ''
let customerId = ''
let hsm: SoftHsm

const cli = textIO

async function certmgr(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = cli()
  const code = await main(args, io)
  return { code, out: io.outText, err: io.errText }
}

function secret(name: string, value: string): string {
  const p = join(work, name)
  writeFileSync(p, value + '\n')
  return p
}

async function codes(type: 'limited' | 'general'): Promise<{ reference: string; authCode: string }> {
  const r = await certmgr(['center', 'codes', '--data', data, '--customer', customerId, '--type', type, '--json'])
  expect(r.code).toBe(0)
  return JSON.parse(r.out) as { reference: string; authCode: string }
}

const tokenObjects = () => pkcs11ToolObjects(LABEL, PIN)

beforeAll(async () => {
  work = tempDir('certmgr-renew-cli-')
  data = join(work, 'center')
  hsm = softHsm([{ label: LABEL, pin: PIN }])
  server = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'center', 'serve', '--data', data, '--validity-days', '20', '--renewal-window-days', '90', '--renewal-check', 'signature'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  url = await new Promise<string>((done, fail) => {
    let text = ''
    server.stdout!.on('data', (c: Buffer) => {
      text += c.toString()
      const m = text.match(/listening on (http:\/\/\S+)/)
      if (m) done(m[1]!)
    })
    server.once('exit', (code) => fail(new Error(`center exited with ${code}`)))
  })
  const add = await certmgr(['center', 'customer', 'add', '--data', data, '--name', '홍길동', '--idn-file', secret('idn', '9001011234568'), '--phone', '010-1234-5678', '--balance', '100000', '--json'])
  expect(add.code).toBe(0)
  customerId = (JSON.parse(add.out) as { id: string }).id
})

afterAll(async () => {
  server?.kill('SIGTERM')
  await new Promise((r) => server?.once('exit', r))
  hsm?.close()
})

describe('center serve --renewal-check signature', () => {
  it('says so in /ra/info; certmgr renew and openssl cmp -cmd kur renew on the signature alone', async () => {
    expect(((await (await fetch(`${url}/ra/info`)).json()) as { renewalCheck: string }).renewalCheck).toBe('signature')
    const c = await codes('limited')
    const root = join(work, 'NPKI')
    const issued = await certmgr(['issue', '--center', url, '--reference', c.reference, '--auth-code-file', secret('code', c.authCode), '--root', root, '--password-file', secret('pw', PASSWORD), '--data', join(work, 'data')])
    expect(issued.code).toBe(0)
    const folder = issued.out.match(/saved in (.+)/)![1]!
    const first = parseCertificate(readFileSync(join(folder, 'signCert.der'))).serialHex

    const renewed = await certmgr(['renew', folder, '--center', url, '--password-file', join(work, 'pw'), '--data', join(work, 'data')])
    expect(renewed.err).toBe('')
    expect(renewed.code).toBe(0)
    const certDer = readFileSync(join(folder, 'signCert.der'))
    expect(parseCertificate(certDer).serialHex).not.toBe(first)

    // The other tool: openssl renews the renewed certificate with its key.
    const key = openSignKey(certDer, readFileSync(join(folder, 'signPri.key')), PASSWORD).privateKey
    writeFileSync(join(work, 'cur.pem'), new X509Certificate(certDer).toString())
    writeFileSync(join(work, 'cur.key'), key.export({ type: 'pkcs8', format: 'pem' }))
    spawnSync('openssl', ['genrsa', '-out', join(work, 'next.key'), '2048'])
    writeFileSync(join(work, 'ca.pem'), new X509Certificate(Buffer.from(await (await fetch(`${url}/ca.crt`)).arrayBuffer())).toString())
    const r = spawnSync(
      'openssl',
      ['cmp', '-cmd', 'kur', '-server', `${url}/.well-known/cmp`, '-cert', 'cur.pem', '-key', 'cur.key', '-newkey', 'next.key', '-certout', 'next.pem', '-trusted', 'ca.pem'],
      { cwd: work, encoding: 'utf8' },
    )
    expect(r.stdout + r.stderr).toContain('received PKICONF')
    expect(spawnSync('openssl', ['verify', '-CAfile', 'ca.pem', 'next.pem'], { cwd: work, encoding: 'utf8' }).stdout).toContain('next.pem: OK')
  })

  it('certmgr renew --token: new key pair on the token, the new certificate and randomNum beside it, the old objects gone', async () => {
    const c = await codes('general')
    const common = ['--center', url, '--token', LABEL, '--module', SOFTHSM_MODULE, '--pin-file', secret('pin', PIN), '--data', join(work, 'data')]
    const issued = await certmgr(['issue', '--reference', c.reference, '--auth-code-file', secret('code2', c.authCode), ...common])
    expect(issued.code).toBe(0)
    const oldId = issued.out.match(/id ([0-9a-f]{40})/)![1]!
    const before = tokenObjects()
    expect(before.filter((o) => o.id === oldId).map((o) => o.cls).sort()).toEqual(['Certificate', 'Data', 'Private Key', 'Public Key'])
    const ref = { module: SOFTHSM_MODULE, label: LABEL }
    const randomNum = await tokenRandomNum(ref, PIN, oldId)
    expect(randomNum).toHaveLength(20)

    const renewed = await certmgr(['renew', ...common])
    expect(renewed.err).toBe('')
    expect(renewed.code).toBe(0)
    const newId = renewed.out.match(/stored on the token with id ([0-9a-f]{40})/)![1]!
    expect(newId).not.toBe(oldId)
    const after = tokenObjects()
    // Same number of objects: the new key pair, certificate and randomNum replaced the old ones.
    expect(after.length).toBe(before.length)
    expect(after.filter((o) => o.id === oldId)).toEqual([])
    // The randomNum's data object moved beside the new key: one before and after.
    expect(after.filter((o) => o.id === newId).map((o) => o.cls).sort()).toEqual(['Certificate', 'Data', 'Private Key', 'Public Key'])
    expect(before.filter((o) => o.cls === 'Data')).toHaveLength(1)
    expect(after.filter((o) => o.cls === 'Data')).toHaveLength(before.filter((o) => o.cls === 'Data').length)
    // The randomNum (and so the VID) carried over to the new key; the old one went with its key.
    expect(await tokenRandomNum(ref, PIN, newId)).toEqual(randomNum)
    expect(await tokenRandomNum(ref, PIN, oldId)).toBeUndefined()
    // pkcs11-tool reads the new certificate; openssl checks it against the center's CA and the token's key.
    spawnSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, '--read-object', '--type', 'cert', '--id', newId, '-o', join(work, 'tok.der')])
    const cert = new X509Certificate(readFileSync(join(work, 'tok.der')))
    writeFileSync(join(work, 'tok.pem'), cert.toString())
    expect(spawnSync('openssl', ['verify', '-CAfile', 'ca.pem', 'tok.pem'], { cwd: work, encoding: 'utf8' }).stdout).toContain('tok.pem: OK')
    spawnSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, '--read-object', '--type', 'pubkey', '--id', newId, '-o', join(work, 'tok.pub')])
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(readFileSync(join(work, 'tok.pub')))).toBe(true)
    expect(cert.subject).toContain('홍길동')
  })
})
