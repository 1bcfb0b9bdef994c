import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { buildCertConfMessage, buildIrMessage, parseResponse, type BuiltRequest } from '../../center/cmp/test-client'

const REPO = resolve(import.meta.dirname, '../..')

export interface CenterProcess {
  child: ChildProcess
  url: string
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>
}

/** `certmgr center serve ARGS --port 0` as an operator runs it, in its own process; resolves once it listens. */
export async function serveCenter(args: string[]): Promise<CenterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'center', 'serve', ...args, '--port', '0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await new Promise<string>((ok, fail) => {
    let out = ''
    const timer = setTimeout(() => fail(new Error(`center did not start: ${out}`)), 90_000)
    const seen = (b: Buffer) => {
      out += b.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        ok(m[1]!)
      }
    }
    child.stdout!.on('data', seen)
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      fail(new Error(`center exited (${signal ?? code}): ${out}`))
    })
  })
  return {
    child,
    url,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode)
        child.once('exit', (code) => done(code))
        child.kill('SIGTERM')
      }),
  }
}

/** Each request on its own connection, so a load balancer (or the cluster primary) may hand it to any node. */
export async function postCmp(url: string, der: Uint8Array): Promise<Uint8Array> {
  const res = await fetch(`${url}/.well-known/cmp`, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp', Connection: 'close' }, body: der })
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`)
  return new Uint8Array(await res.arrayBuffer())
}

export function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, spkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })) }
}

export interface Enrollment {
  reference: string
  authCode: string
}

/** An `ir` to `irUrl` and its certConf to `confUrl` (the same center or another node); returns the certificate. */
export async function issueOver(irUrl: string, confUrl: string, e: Enrollment, ir?: BuiltRequest): Promise<Uint8Array> {
  const req = ir ?? (await buildIrMessage({ reference: e.reference, secret: e.authCode, ...ecKey() }))
  const ip = parseResponse(await postCmp(irUrl, req.der))
  if (ip.type !== 'ip' || !ip.certDer) throw new Error(`expected ip, got ${ip.type}: ${ip.error ?? ''}`)
  const conf = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: req.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer })
  const answer = parseResponse(await postCmp(confUrl, conf.der))
  if (answer.type !== 'pkiconf') throw new Error(`expected pkiconf, got ${answer.type}: ${answer.error ?? ''}`)
  return ip.certDer
}

/** `certmgr ARGS` as an operator runs it, in its own process: exit code and output. */
export function certmgr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', ...args], { cwd: REPO, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/**
 * The serial numbers a center's CRL lists, read by openssl from `dir/name`. The connection is
 * closed after it: the test may stop that center next.
 */
export async function crlSerials(url: string, dir: string, name: string): Promise<string[]> {
  const f = join(dir, name)
  writeFileSync(f, new Uint8Array(await (await fetch(`${url}/crl`, { headers: { Connection: 'close' } })).arrayBuffer()))
  const { stdout } = await promisify(execFile)('/usr/bin/openssl', ['crl', '-inform', 'der', '-in', f, '-noout', '-text'])
  return [...stdout.matchAll(/Serial Number: ([0-9A-Fa-f]+)/g)].map((m) => m[1]!.toUpperCase())
}

/** An issuance whose key the test keeps, so it can revoke the certificate over CMP afterwards. */
export async function issueKept(irUrl: string, confUrl: string, e: Enrollment): Promise<{ certDer: Uint8Array; key: KeyObject; serial: string }> {
  const k = ecKey()
  const certDer = await issueOver(irUrl, confUrl, e, await buildIrMessage({ reference: e.reference, secret: e.authCode, ...k }))
  return { certDer, key: k.privateKey, serial: new X509Certificate(certDer).serialNumber.toUpperCase() }
}
