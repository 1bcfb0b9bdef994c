/**
 * `certmgr center serve --workers 2`: several processes serving one center. Everything a
 * transaction needs is in the database, so a certConf answered by another process, or by a
 * replacement after its worker was killed, still completes; the CRL is the same from every
 * process; concurrent issuance gives distinct serials, each certificate verifying; and the
 * primary, not the workers, checkpoints the WAL.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { buildCertConfMessage, buildIrMessage, parseResponse } from '../../center/cmp/test-client'
import { revoke } from '../../core/enroll/cmp-client'
import { freshStore, type TestStore } from '../helpers/postgres'

const REPO = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'center-cluster-'))
let primary: ChildProcess | undefined
let store: TestStore | undefined

afterAll(async () => {
  await store?.drop()
  if (primary && primary.exitCode === null && primary.signalCode === null) {
    primary.kill('SIGTERM')
    await new Promise((r) => primary!.once('exit', r))
  }
  rmSync(dir, { recursive: true, force: true })
})

/** Each request on its own connection, so the primary hands consecutive ones to different workers. */
async function post(url: string, der: Uint8Array): Promise<Uint8Array> {
  const res = await fetch(`${url}/.well-known/cmp`, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp', Connection: 'close' }, body: der })
  expect(res.status).toBe(200)
  return new Uint8Array(await res.arrayBuffer())
}

function ecKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { spkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), privateKey }
}

/** The primary's children that run the center (not, e.g., the TypeScript loader's helper). */
async function workerPids(primaryPid: number): Promise<number[]> {
  // ps exits 1 when the process has no children at all.
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(primaryPid)]).catch(() => ({ stdout: '' }))
  return stdout
    .split('\n')
    .filter((l) => l.includes('certmgr.ts'))
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((n) => n > 0)
}

describe('center with several worker processes', () => {
  it('issues concurrently, confirms across processes and after a worker is killed, and serves one CRL', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'data')
    store = await freshStore()
    const { dbUrl } = store
    const setup = await openCenterDb(dataDir, { dbUrl })
    const ra = new Ra(setup, { outboxDir: dataDir, keyDir: dataDir })
    const enrollments: { reference: string; authCode: string }[] = []
    for (let i = 0; i < 31; i++) {
      const { customerId } = await ra.createCustomer({ name: `다중${i}`, idn: String(8000000000000 + i), phone: `010${String(i).padStart(8, '0')}` })
      enrollments.push(await ra.createEnrollmentCodes(customerId, 'limited', 'issue'))
    }
    setup.close()

    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'center', 'serve', '--data', dataDir, ...(dbUrl ? ['--db', dbUrl] : []), '--port', '0', '--workers', '2'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    primary = child
    const url = await new Promise<string>((ok, fail) => {
      let out = ''
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString()
        const m = /listening on (http:\/\/\S+) \(2 processes\)/.exec(out)
        if (m) ok(m[1]!)
      })
      child.on('exit', (code) => fail(new Error(`center exited (${code}): ${out}`)))
    })
    const firstWorkers = await workerPids(child.pid!)
    expect(firstWorkers).toHaveLength(2)

    // 30 concurrent issuances, each ir and certConf on a fresh connection.
    const keys = enrollments.map(() => ecKey())
    const certs = await Promise.all(
      enrollments.slice(0, 30).map(async (e, i) => {
        const ir = await buildIrMessage({ reference: e.reference, secret: e.authCode, ...keys[i]! })
        const ip = parseResponse(await post(url, ir.der))
        expect(ip.type).toBe('ip')
        const conf = buildCertConfMessage({ reference: e.reference, secret: e.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer! })
        expect(parseResponse(await post(url, conf.der)).type).toBe('pkiconf')
        return ip.certDer!
      }),
    )
    expect(new Set(certs.map((c) => new X509Certificate(c).serialNumber)).size).toBe(30)
    const caPem = join(dir, 'ca.pem')
    writeFileSync(caPem, new X509Certificate(new Uint8Array(await (await fetch(`${url}/ca.crt`)).arrayBuffer())).toString())
    const files = certs.map((c, i) => {
      const f = join(dir, `c${i}.pem`)
      writeFileSync(f, new X509Certificate(c).toString())
      return f
    })
    const { stdout } = await run('/usr/bin/openssl', ['verify', '-CAfile', caPem, ...files])
    expect(stdout.split('\n').filter((l) => l.endsWith(': OK'))).toHaveLength(30)

    // Workers never checkpoint (its fsync would stall their requests): the primary copies the
    // WAL into the database file, so the issued certificates reach it while all keep running.
    // (PostgreSQL has no WAL of ours to copy.)
    let inFile = dbUrl !== undefined
    for (let t = 0; t < 50 && !inFile; t++) {
      await new Promise((r) => setTimeout(r, 100))
      const file = readFileSync(join(dataDir, 'center.db'))
      inFile = certs.every((c) => file.includes(Buffer.from(c)))
    }
    expect(inFile).toBe(true)

    // An ir answered, then every worker killed: the replacements answer its certConf.
    const last = enrollments[30]!
    const ir = await buildIrMessage({ reference: last.reference, secret: last.authCode, ...keys[30]! })
    const ip = parseResponse(await post(url, ir.der))
    expect(ip.type).toBe('ip')
    for (const pid of firstWorkers) process.kill(pid, 'SIGKILL')
    let replaced: number[] = []
    for (let t = 0; t < 200 && replaced.length < 2; t++) {
      await new Promise((r) => setTimeout(r, 100))
      replaced = (await workerPids(child.pid!)).filter((p) => !firstWorkers.includes(p))
    }
    expect(replaced).toHaveLength(2)
    const conf = buildCertConfMessage({ reference: last.reference, secret: last.authCode, transactionID: ir.transactionID, recipNonce: ip.senderNonce!, certDer: ip.certDer! })
    let answer: Uint8Array | undefined
    // The replacements may still be starting: the first connection can be refused.
    for (let t = 0; t < 100 && !answer; t++) {
      try {
        answer = await post(url, conf.der)
      } catch {
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    expect(parseResponse(answer!).type).toBe('pkiconf')

    // Revoked through one process; every process's /crl lists it, as openssl reads it.
    await revoke({ url, certDer: certs[0]!, key: keys[0]!.privateKey })
    const serial = new X509Certificate(certs[0]!).serialNumber.toUpperCase()
    for (let k = 0; k < 4; k++) {
      const crl = new Uint8Array(await (await fetch(`${url}/crl`, { headers: { Connection: 'close' } })).arrayBuffer())
      const f = join(dir, `crl${k}.der`)
      writeFileSync(f, crl)
      const text = (await run('/usr/bin/openssl', ['crl', '-inform', 'der', '-in', f, '-noout', '-text'])).stdout
      expect(text.replace(/\s/g, '')).toContain(`SerialNumber:${serial}`)
    }

    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    expect(child.exitCode).toBe(0)
    expect(await workerPids(child.pid!)).toHaveLength(0)
  })
})
