import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { resolve } from 'node:path'
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
