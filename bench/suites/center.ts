import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { startCenter } from '../../center/center'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { buildIrMessage, parseResponse, type BuiltRequest } from '../../center/cmp/test-client'
import { issue } from '../../core/enroll/cmp-client'
import type { BenchResult, BenchSuite } from '../types'
import { LoadClient } from '../http-load'
import { paired, pairedTimeRow, timeRow } from '../util'
import { createTestDatabase } from '../../tests/helpers/postgres'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '../..')
const WORKERS = Number(process.env.BENCH_CENTER_WORKERS ?? 2)
const IR_COUNT = 900
const LATENCY_SECONDS = 2
const SETTLE_MS = 2_000
const CPU_COUNT = 100
const IN_FLIGHT = 8
const CLIENT_RUNS = 7
const TARGET_RPS = 300
const TARGET_P99_MS = 50

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** `certmgr center serve ARGS` as an operator runs it, in its own process(es). */
async function serveChild(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', 'center', 'serve', ...args, '--port', '0'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((ok, fail) => {
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) ok(m[1]!)
    })
    child.on('exit', (code) => fail(new Error(`center exited (${code}): ${out}`)))
  })
  return { child, url }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** Pre-built ir messages (implicitConfirm) for fresh customers, written through `ra` as the operator CLI would. */
async function buildIrs(ra: Ra, n: number, first: number): Promise<BuiltRequest[]> {
  const out: BuiltRequest[] = []
  for (let k = 0; k < n; k++) {
    const i = first + k
    const { customerId } = await ra.createCustomer({ name: `벤치${i}`, idn: String(6000000000000 + i), phone: `010${String(i).padStart(8, '0')}` })
    const codes = await ra.createEnrollmentCodes(customerId, 'limited', 'issue')
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    out.push(
      await buildIrMessage({
        reference: codes.reference,
        secret: codes.authCode,
        spkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
        privateKey,
        implicitConfirm: true,
      }),
    )
  }
  return out
}

const LATENCY_COUNT = TARGET_RPS * LATENCY_SECONDS
/** Also offered at half the target: latency where the center is not over capacity. */
const HALF_RATE = TARGET_RPS / 2
const HALF_COUNT = HALF_RATE * LATENCY_SECONDS
const WARM_UP = 40
const IRS_PER_RUN = IR_COUNT + LATENCY_COUNT + HALF_COUNT + WARM_UP

/**
 * Throughput (closed loop, IN_FLIGHT outstanding) and latency (open loop at the target rate
 * and at half of it) of `ir` against the given center URLs. With several URLs (nodes) the
 * generator hands requests to them in turn, as a load balancer would. `label` names the setup
 * in the rows; the SQLite rows keep their names from earlier runs.
 */
async function measureServed(urls: string[], irs: BuiltRequest[], label: string, tag = ''): Promise<BenchResult[]> {
  const answers: Uint8Array[] = []
  // A lean keep-alive client rather than fetch or node:http: the generator shares the two
  // cores with the center, and its per-request cost would be taken from the center's share.
  const clients = urls.map((u) => new LoadClient(new URL(`${u}/.well-known/cmp`), 'application/pkixcmp'))
  let turn = 0
  const post = (der: Uint8Array): Promise<Uint8Array> => clients[turn++ % clients.length]!.post(der)
  try {
    const send = async (m: BuiltRequest): Promise<number> => {
      const s = performance.now()
      const body = await post(m.der)
      const took = performance.now() - s
      // Decoded after the clock stops: the client's parsing is not the center's cost.
      answers.push(body)
      return took
    }
    const queue = irs.slice(0, IR_COUNT)
    const atTarget = irs.slice(IR_COUNT, IR_COUNT + LATENCY_COUNT)
    const atHalf = irs.slice(IR_COUNT + LATENCY_COUNT, IR_COUNT + LATENCY_COUNT + HALF_COUNT)
    for (const m of irs.slice(IR_COUNT + LATENCY_COUNT + HALF_COUNT)) await send(m) // warm-up: JIT and connections
    /** Open loop: request k leaves at k/rate seconds whatever the earlier ones are doing. Sorted latencies. */
    const offered = async (msgs: BuiltRequest[], rate: number): Promise<number[]> => {
      const latencies: number[] = []
      const t0 = performance.now()
      await Promise.all(
        msgs.map(async (m, k) => {
          const due = t0 + (k * 1000) / rate
          const wait = due - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          const s = performance.now()
          await send(m)
          // Counted from when it was due, so a late start (a busy generator) counts against us too.
          latencies.push(performance.now() - Math.min(s, due))
        }),
      )
      return latencies.sort((a, b) => a - b)
    }

    const start = performance.now()
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let m = queue.shift(); m; m = queue.shift()) await send(m)
      }),
    )
    const rps = IR_COUNT / ((performance.now() - start) / 1000)

    // The latency rows measure a steady 300/s, not the aftermath of the saturating burst above:
    // the center first gets time to checkpoint that burst's WAL (the primary does so each second).
    await new Promise((r) => setTimeout(r, SETTLE_MS))
    const latencies = await offered(atTarget, TARGET_RPS)
    const halfLatencies = await offered(atHalf, HALF_RATE)
    for (const a of answers) {
      const r = parseResponse(a)
      if (r.type !== 'ip' || !r.certDer) throw new Error(`issuance failed: ${r.error ?? r.type}`)
    }
    return [
      { name: `center ir throughput (${label}, ${IN_FLIGHT} in flight, loopback) vs ${TARGET_RPS}/s target`, ours: rps, reference: TARGET_RPS, unit: 'req/s', ratio: rps / TARGET_RPS, target: '>= 1.0x (higher is better)', met: rps >= TARGET_RPS },
      { ...timeRow(`center ir latency p50 at ${TARGET_RPS}/s offered${tag} vs ${TARGET_P99_MS} ms`, pct(latencies, 50), TARGET_P99_MS, 1) },
      { ...timeRow(`center ir latency p99 at ${TARGET_RPS}/s offered${tag} vs ${TARGET_P99_MS} ms target`, pct(latencies, 99), TARGET_P99_MS, 1) },
      { ...timeRow(`center ir latency p99 at ${HALF_RATE}/s offered (below capacity)${tag} vs ${TARGET_P99_MS} ms`, pct(halfLatencies, 99), TARGET_P99_MS, 1), target: 'informational', met: undefined },
    ]
  } finally {
    for (const c of clients) c.close()
  }
}

/**
 * The same load against two center nodes (`center serve --db`, one process each, the second
 * with a copy of the first one's data directory) sharing one PostgreSQL database on a private
 * server (CERTMGR_TEST_PG, or one started for the run by tests/helpers/pg-server.sh).
 */
async function measurePostgres(dir: string): Promise<BenchResult[]> {
  const db = await createTestDatabase()
  const dataA = join(dir, 'pg-node-a')
  const dataB = join(dir, 'pg-node-b')
  const nodes: ChildProcess[] = []
  try {
    const setupDb = await openCenterDb(dataA, { dbUrl: db.url })
    const irs = await buildIrs(new Ra(setupDb, { keyDir: dataA }), IRS_PER_RUN, 100_000)
    setupDb.close()
    const a = await serveChild(['--data', dataA, '--db', db.url])
    nodes.push(a.child)
    mkdirSync(dataB, { mode: 0o700 })
    for (const f of ['ca-key.p8.pem', 'ca-secret', 'ca.crt', 'ra-secret.key']) copyFileSync(join(dataA, f), join(dataB, f))
    const b = await serveChild(['--data', dataB, '--db', db.url])
    nodes.push(b.child)
    return await measureServed([a.url, b.url], irs, '2 nodes on PostgreSQL', ' (2 nodes on PostgreSQL)')
  } finally {
    for (const c of nodes) await stopChild(c)
    await db.drop()
  }
}

/**
 * Center-side issuance over loopback against `certmgr center serve --workers 2` (one process
 * per core) on SQLite, and against two nodes sharing PostgreSQL: pre-built ir messages
 * (implicitConfirm, so one round trip is one whole issuance) from pre-generated keys.
 * Throughput is measured closed-loop with IN_FLIGHT requests outstanding; latency open-loop,
 * sending at the target rate for LATENCY_SECONDS, which is how "p99 under 50 ms at 300
 * issuances a second" is defined. The load generator (and PostgreSQL) share the two cores with
 * the center, so the numbers are a floor. No other CMP CA runs here, so these rows compare
 * against the fixed targets; the client row runs our CMP client and `openssl cmp -cmd ir`
 * alternately against the same center.
 */
const suite: BenchSuite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-center-'))
  const dataDir = join(dir, 'data')
  // Customers and codes go straight into the database, as the operator CLI would write them.
  const setupDb = await openCenterDb(dataDir)
  const irs = await buildIrs(new Ra(setupDb, { outboxDir: dataDir }), IRS_PER_RUN, 0)
  setupDb.close()
  const served = await serveChild(['--data', dataDir, '--workers', String(WORKERS)])
  const rows: BenchResult[] = []
  try {
    rows.push(...(await measureServed([served.url], irs, `${WORKERS} processes`)))
  } finally {
    await stopChild(served.child)
  }
  rows.push(...(await measurePostgres(dir)))

  const center = await startCenter({ dataDir })
  try {
    // CPU time of the center's own work per issuance, without HTTP: unlike the wall-clock rows it
    // does not depend on what else the machine runs. The budget is two cores' worth at the target rate.
    const cpuIrs = await buildIrs(center.ra, CPU_COUNT, 200_000)
    const cpu0 = process.cpuUsage()
    const handled: Uint8Array[] = []
    for (const m of cpuIrs) handled.push(await center.cmp.handle(m.der))
    const cpu = process.cpuUsage(cpu0)
    for (const a of handled) if (parseResponse(a).type !== 'ip') throw new Error('issuance failed')
    const cpuMs = (cpu.user + cpu.system) / 1000 / CPU_COUNT
    rows.push(timeRow(`center ir CPU per issuance (in-process CmpService.handle) vs 2-core budget at ${TARGET_RPS}/s`, cpuMs, 2000 / TARGET_RPS, 1))

    // Whole issuance (ir → ip → certConf → pkiConf) by our client vs openssl cmp, same center.
    writeFileSync(join(dir, 'ca.pem'), new X509Certificate(center.ca.caCertDer()).toString())
    const { customerId } = await center.ra.createCustomer({ name: '비교', idn: '5901011234567', phone: '01099998888' })
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    writeFileSync(join(dir, 'key.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const ours = async () => {
      const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'reissue')
      const t = performance.now()
      await issue({ url: `${center.url}/.well-known/cmp`, reference: codes.reference, authCode: codes.authCode, privateKey: rsa.privateKey, publicKey: rsa.publicKey })
      return performance.now() - t
    }
    const reference = async () => {
      const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'reissue')
      const t = performance.now()
      await run(
        '/usr/bin/openssl',
        ['cmp', '-cmd', 'ir', '-server', `${center.url}/.well-known/cmp`, '-ref', codes.reference, '-secret', `pass:${codes.authCode}`, '-newkey', 'key.pem', '-subject', '/CN=x', '-recipient', '/CN=x', '-certout', 'out.pem', '-out_trusted', 'ca.pem'],
        { cwd: dir },
      )
      return performance.now() - t
    }
    rows.push(pairedTimeRow('whole issuance ir..pkiConf: our CMP client vs openssl cmp -cmd ir', await paired(CLIENT_RUNS, ours, reference), 1.3))
    return rows
  } finally {
    await center.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export default suite
