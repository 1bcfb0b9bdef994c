/**
 * Our CMP client against `openssl cmp` acting as the mock server (ENROLLMENT.md). The mock
 * returns a fixed certificate (-rsp_cert), so each scenario prepares that certificate for the
 * key the client will use.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createPrivateKey, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CertError } from '../../shared/errors'
import { getCaCerts, issue, renew, revoke } from '../../core/enroll/cmp-client'
import { parseSubject } from '../../core/enroll/subject'
import { openSignKey } from '../../core/formats/signpri'
import { main } from '../../cli/certmgr'
import type { CliIO } from '../../cli/command'
import { createEnrollCommands } from '../../cli/commands/enroll'
import { Trash } from '../../core/storage/trash'

const OPENSSL = '/usr/bin/openssl'
const SECRET = '1234-5678-abcd'
const REF = '30781234'

let dir: string
const running: ChildProcess[] = []

const p = (f: string) => join(dir, f)
const ossl = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
const der = (pemFile: string) => new Uint8Array(new X509Certificate(readFileSync(p(pemFile))).raw)
const key = (f: string): KeyObject => createPrivateKey(readFileSync(p(f)))

function issueCert(keyFile: string, out: string, subject: string, serial?: string): void {
  ossl('req', '-new', '-key', p(keyFile), '-subj', subject, '-out', p(out + '.csr'))
  const args = ['x509', '-req', '-in', p(out + '.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-days', '30', '-extfile', p('ext.cnf'), '-out', p(out)]
  if (serial) args.push('-set_serial', serial)
  else args.push('-CAcreateserial')
  ossl(...args)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** Starts the mock server and resolves once it accepts connections. */
async function startMock(args: string[], maxMsgs: number): Promise<{ url: string; exited: Promise<number | null>; log: () => string }> {
  const port = await freePort()
  const proc = spawn(OPENSSL, ['cmp', '-port', String(port), '-max_msgs', String(maxMsgs), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  running.push(proc)
  let log = ''
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mock server did not start: ${log}`)), 10_000)
    const onData = (d: Buffer) => {
      log += d.toString()
      if (log.includes('ACCEPT')) {
        clearTimeout(timer)
        resolve()
      }
    }
    // "ACCEPT <addr>:<port>" goes to stdout, diagnostics to stderr
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', onData)
    proc.on('exit', () => reject(new Error(`mock server exited: ${log}`)))
  })
  // the mock serves only "/" and "/pkix/"
  return { url: `http://127.0.0.1:${port}/pkix/`, exited, log: () => log }
}

const PBM_SERVER = ['-srv_ref', 'srvref', '-srv_secret', `pass:${SECRET}`, '-srv_cert', 'srv.crt', '-srv_key', 'srv.key', '-srv_trusted', 'ca.crt']
const SIG_SERVER = ['-srv_cert', 'srv.crt', '-srv_key', 'srv.key', '-srv_trusted', 'ca.crt']

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmp-interop-'))
  writeFileSync(p('ext.cnf'), 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n')
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-subj', '/C=KR/O=Interop CA/CN=Interop Root CA', '-days', '30')
  ossl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('srv.key'))
  ossl('req', '-new', '-key', p('srv.key'), '-subj', '/C=KR/O=Interop CA/CN=Interop CMP Server', '-out', p('srv.csr'))
  ossl('x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '30', '-extfile', p('ext.cnf'), '-out', p('srv.crt'))
  for (const k of ['k1', 'k2']) ossl('genrsa', '-out', p(`${k}.pem`), '2048')
  issueCert('k1.pem', 'issued1.pem', '/C=KR/O=Test Bank/CN=Hong Gildong')
  // openssl 3.0's mock accepts a kur only for the serial of its -rsp_cert, so the renewed
  // certificate reuses the old serial
  const serial = '0x' + new X509Certificate(readFileSync(p('issued1.pem'))).serialNumber
  issueCert('k2.pem', 'issued2.pem', '/C=KR/O=Test Bank/CN=Hong Gildong', serial)
})

afterEach(() => {
  for (const proc of running.splice(0)) if (proc.exitCode === null) proc.kill()
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function centerError(f: () => Promise<unknown>): Promise<CertError> {
  try {
    await f()
  } catch (e) {
    if (e instanceof CertError) return e
    throw e
  }
  throw new Error('expected a CertError')
}

describe('CMP client against openssl cmp (mock server)', () => {
  it('ir with PBM hmac-sha1 and a subject: ip → certConf → pkiConf; the cert is the mock rsp_cert', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem', '-rsp_capubs', 'ca.crt'], 2)
    const k = key('k1.pem')
    const stages: string[] = []
    const r = await issue({
      url: srv.url,
      reference: REF,
      authCode: SECRET,
      privateKey: k,
      publicKey: createPublicKey(k),
      subject: parseSubject('/C=KR/O=Test Bank/CN=Hong Gildong'),
      randomNum: new Uint8Array(20).fill(7),
      onProgress: (s) => stages.push(s),
    })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued1.pem')))).toBe(true)
    expect(r.caCerts.map((c) => Buffer.from(c).toString('hex'))).toEqual([Buffer.from(der('ca.crt')).toString('hex')])
    expect(stages).toEqual(['request', 'confirm', 'done'])
    // the mock only exits after its second message, the certConf
    expect(await srv.exited).toBe(0)
    expect(srv.log()).not.toMatch(/CMP error/)
  })

  it('ir with an external signer (as a security token signs): openssl checks its POPO, and refuses a wrong one', async () => {
    const k = key('k1.pem')
    const publicKeySpki = new Uint8Array(createPublicKey(k).export({ type: 'spki', format: 'der' }))
    const external = (bad: boolean) => ({ publicKeySpki, algorithm: 'rsa-sha256' as const, sign: async (data: Uint8Array) => new Uint8Array(sign('sha256', bad ? Buffer.from('other bytes') : data, k)) })
    let srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 2)
    const r = await issue({ url: srv.url, reference: REF, authCode: SECRET, key: external(false), subject: parseSubject('/C=KR/O=Test Bank/CN=Hong Gildong') })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued1.pem')))).toBe(true)
    expect(await srv.exited).toBe(0)
    srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 1)
    await expect(issue({ url: srv.url, reference: REF, authCode: SECRET, key: external(true), subject: parseSubject('/C=KR/O=Test Bank/CN=Hong Gildong') })).rejects.toMatchObject({ code: 'CENTER' })
    await srv.exited
  })

  it('ir with PBM hmacWithSHA256 and an empty subject (POPO over poposkInput)', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 2)
    const k = key('k1.pem')
    const r = await issue({ url: srv.url, reference: REF, authCode: SECRET, privateKey: k, publicKey: createPublicKey(k), pbm: { mac: 'hmacWithSHA256' } })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued1.pem')))).toBe(true)
    expect(await srv.exited).toBe(0)
    expect(srv.log()).not.toMatch(/CMP error/)
  })

  it('polls while the mock answers "waiting" (-poll_count), then confirms', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem', '-poll_count', '2', '-check_after', '0'], 4)
    const k = key('k1.pem')
    const stages: string[] = []
    const r = await issue({ url: srv.url, reference: REF, authCode: SECRET, privateKey: k, publicKey: createPublicKey(k), subject: parseSubject('CN=Hong Gildong'), onProgress: (s) => stages.push(s) })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued1.pem')))).toBe(true)
    expect(stages.filter((s) => s === 'waiting').length).toBe(2)
    // ir + 2 pollReq + certConf: the mock exits after exactly these four
    expect(await srv.exited).toBe(0)
    expect(srv.log()).not.toMatch(/CMP error/)
  })

  it('implicitConfirm granted by the server ends the exchange after ip', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem', '-grant_implicitconf'], 1)
    const k = key('k1.pem')
    const stages: string[] = []
    const r = await issue({ url: srv.url, reference: REF, authCode: SECRET, privateKey: k, publicKey: createPublicKey(k), implicitConfirm: true, onProgress: (s) => stages.push(s) })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued1.pem')))).toBe(true)
    expect(stages).not.toContain('confirm')
    expect(await srv.exited).toBe(0)
  })

  it('a wrong authorization code gets the center error "wrong pbm value"', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 1)
    const k = key('k1.pem')
    const e = await centerError(() => issue({ url: srv.url, reference: REF, authCode: 'wrong-code-0000', privateKey: k, publicKey: createPublicKey(k) }))
    expect(e.code).toBe('CENTER')
    expect(e.message).toContain('wrong pbm value')
    expect(e.params?.failInfo).toBe('badRequest')
  })

  it('an issued certificate for another key is refused', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued2.pem'], 2)
    const k = key('k1.pem')
    const e = await centerError(() => issue({ url: srv.url, reference: REF, authCode: SECRET, privateKey: k, publicKey: createPublicKey(k), subject: parseSubject('CN=Hong Gildong') }))
    expect(e.code).toBe('CENTER')
    expect(e.params?.reason).toBe('key-mismatch')
  })

  it('kur signed with the old key → kup (signature-protected) → certConf → pkiConf', async () => {
    const srv = await startMock([...SIG_SERVER, '-rsp_cert', 'issued2.pem', '-rsp_extracerts', 'ca.crt'], 2)
    const r = await renew({ url: srv.url, oldCertDer: der('issued1.pem'), oldKey: key('k1.pem'), newKey: key('k2.pem'), randomNum: new Uint8Array(20).fill(1) })
    expect(Buffer.from(r.certDer).equals(Buffer.from(der('issued2.pem')))).toBe(true)
    expect(await srv.exited).toBe(0)
    expect(srv.log()).not.toMatch(/CMP error/)
  })

  it('kur answered by an untrusted signer is refused', async () => {
    const srv = await startMock([...SIG_SERVER, '-rsp_cert', 'issued2.pem'], 2)
    // no CA certificate in the answer and a trust anchor that did not issue the server's cert
    const e = await centerError(() => renew({ url: srv.url, oldCertDer: der('issued1.pem'), oldKey: key('k1.pem'), newKey: key('k2.pem'), trusted: [der('issued1.pem')] }))
    expect(e.code).toBe('CENTER')
    expect(e.params?.reason).toBe('protection')
  })

  it('rr signed with the certificate → rp accepted', async () => {
    const srv = await startMock([...SIG_SERVER, '-rsp_cert', 'issued1.pem'], 1)
    await expect(revoke({ url: srv.url, certDer: der('issued1.pem'), key: key('k1.pem'), reason: 5, trusted: [der('ca.crt')] })).resolves.toBeUndefined()
    expect(await srv.exited).toBe(0)
  })

  it('genm with PBM gets a genp', async () => {
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 1)
    // the mock echoes the request's infoTypes without values, so no certificates come back
    await expect(getCaCerts(srv.url, { reference: REF, authCode: SECRET })).resolves.toEqual([])
    expect(await srv.exited).toBe(0)
  })
})

describe('certmgr issue / reissue / renew / revoke against openssl cmp (mock server)', () => {
  const PASSWORD = 'Interop-pass-2026!'
  // the mock returns a fixed certificate, so the CLI must use the key that certificate was made for
  let nextKey = 'k1.pem'
  const list = () =>
    createEnrollCommands({
      generateKey: async () => {
        const k = key(nextKey)
        return { privateKey: k, publicKey: createPublicKey(k) }
      },
    })
  const io = (): CliIO & { outs: string[]; errs: string[] } => {
    const outs: string[] = []
    const errs: string[] = []
    return { outs, errs, out: (t) => outs.push(t), err: (t) => errs.push(t), readSecret: async (f) => readFileSync(f, 'utf8').replace(/\r?\n$/, '') }
  }
  const secretFile = (name: string, v: string) => {
    writeFileSync(p(name), v + '\n')
    return p(name)
  }
  const folderOf = (root: string) => join(root, 'Interop CA', 'USER', 'cn=Hong Gildong,o=Test Bank,c=kr')

  it('issue saves signCert.der + signPri.key (with randomNum) that open with the password; a second issue lands beside it', async () => {
    const root = p('npki-issue')
    const pw = secretFile('pw', PASSWORD)
    const code = secretFile('code', SECRET)
    nextKey = 'k1.pem'
    for (const expected of ['first', 'second']) {
      const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 2)
      const o = io()
      const rc = await main(['issue', '--center', srv.url, '--reference', REF, '--auth-code-file', code, '--root', root, '--password-file', pw], o, list())
      expect(o.errs).toEqual([])
      expect(rc).toBe(0)
      expect(o.outs.join('\n')).toContain('issued: cn=Hong Gildong,o=Test Bank,c=KR')
      if (expected === 'second') expect(o.outs.join('\n')).toContain('_' + new X509Certificate(readFileSync(p('issued1.pem'))).serialNumber.toLowerCase())
    }
    const dir = folderOf(root)
    const opened = openSignKey(new Uint8Array(readFileSync(join(dir, 'signCert.der'))), new Uint8Array(readFileSync(join(dir, 'signPri.key'))), PASSWORD)
    expect(opened.scheme).toBe('A')
    expect(opened.randomNum?.length).toBe(20)
    expect(readdirSync(join(root, 'Interop CA', 'USER')).length).toBe(2)
  })

  it('issue with a password breaking the NPKI rule stops before contacting the center', async () => {
    const o = io()
    const rc = await main(['issue', '--center', 'http://127.0.0.1:1/', '--reference', REF, '--auth-code-file', secretFile('code2', SECRET), '--root', p('npki-x'), '--password-file', secretFile('pw2', 'short')], o, list())
    expect(rc).toBe(2)
    expect(o.errs.join('')).toMatch(/certmgr issue: /)
    expect(existsSync(p('npki-x'))).toBe(false)
  })

  it('reissue replaces the folder; renew swaps in the new certificate and key; revoke succeeds', async () => {
    const root = p('npki-flow')
    const pw = secretFile('pw3', PASSWORD)
    const code = secretFile('code3', SECRET)
    nextKey = 'k1.pem'
    for (const cmd of ['issue', 'reissue']) {
      const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 2)
      const o = io()
      expect(await main([cmd, '--center', srv.url, '--reference', REF, '--auth-code-file', code, '--root', root, '--password-file', pw, '--data', p('flow-data')], o, list())).toBe(0)
    }
    const dir = folderOf(root)
    expect(readdirSync(join(root, 'Interop CA', 'USER'))).toEqual(['cn=Hong Gildong,o=Test Bank,c=kr'])
    // The folder it replaced went to the trash, not lost.
    expect((await new Trash(p('flow-data')).list()).map((e) => e.originalPath)).toEqual([dir])

    const before = openSignKey(der('issued1.pem'), new Uint8Array(readFileSync(join(dir, 'signPri.key'))), PASSWORD).randomNum
    expect(before?.length).toBe(20)
    nextKey = 'k2.pem'
    const kurSrv = await startMock([...SIG_SERVER, '-rsp_cert', 'issued2.pem', '-rsp_extracerts', 'ca.crt'], 2)
    const o = io()
    expect(await main(['renew', dir, '--center', kurSrv.url, '--password-file', pw, '--data', p('flow-data')], o, list())).toBe(0)
    expect(o.outs.join('')).toContain('renewed:')
    expect(readFileSync(join(dir, 'signCert.der')).equals(Buffer.from(der('issued2.pem')))).toBe(true)
    const opened = openSignKey(der('issued2.pem'), new Uint8Array(readFileSync(join(dir, 'signPri.key'))), PASSWORD)
    expect(opened.randomNum).toEqual(before)
    expect(readdirSync(dir).sort()).toEqual(['signCert.der', 'signPri.key'])

    const rrSrv = await startMock([...SIG_SERVER, '-rsp_cert', 'issued2.pem'], 1)
    const o2 = io()
    expect(await main(['revoke', dir, '--center', rrSrv.url, '--password-file', pw, '--reason', '4', '--ca-cert', p('ca.crt')], o2, list())).toBe(0)
    expect(o2.outs.join('')).toContain('revoked: cn=Hong Gildong')
    expect(await rrSrv.exited).toBe(0)
  })

  it('renew with a wrong password exits 1 without contacting the center', async () => {
    const root = p('npki-wrong')
    nextKey = 'k1.pem'
    const srv = await startMock([...PBM_SERVER, '-rsp_cert', 'issued1.pem'], 2)
    expect(await main(['issue', '--center', srv.url, '--reference', REF, '--auth-code-file', secretFile('code4', SECRET), '--root', root, '--password-file', secretFile('pw4', PASSWORD)], io(), list())).toBe(0)
    const o = io()
    expect(await main(['renew', folderOf(root), '--center', 'http://127.0.0.1:1/', '--password-file', secretFile('pw5', 'Wrong-pass-2026!')], o, list())).toBe(1)
    expect(o.errs.join('')).toMatch(/password/)
  })
})
