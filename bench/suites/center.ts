import { execFile } from 'node:child_process'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { startCenter } from '../../center/center'
import { buildIrMessage, parseResponse, type BuiltRequest } from '../../center/cmp/test-client'
import { issue } from '../../electron/services/enroll/cmp-client'
import type { BenchResult, BenchSuite } from '../types'
import { timeRow } from '../util'

const run = promisify(execFile)
const IR_COUNT = 200
const CPU_COUNT = 100
const IN_FLIGHT = 16
const CLIENT_RUNS = 7
const TARGET_RPS = 300
const TARGET_P99_MS = 50

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/**
 * Center-side issuance over loopback: pre-built ir messages (implicitConfirm, so one round trip
 * is one whole issuance) from pre-generated keys, IN_FLIGHT at a time. The throughput and latency
 * rows compare against the fixed targets (no other CMP CA runs here); the client row runs our
 * CMP client and `openssl cmp -cmd ir` alternately against the same center.
 */
const suite: BenchSuite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-center-'))
  const center = await startCenter({ dataDir: join(dir, 'data') })
  try {
    const rows: BenchResult[] = []
    let seq = 0
    const buildIrs = async (n: number): Promise<BuiltRequest[]> => {
      const out: BuiltRequest[] = []
      for (let k = 0; k < n; k++) {
        const i = seq++
        const { customerId } = await center.ra.createCustomer({ name: `벤치${i}`, idn: String(6000000000000 + i), phone: `010${String(i).padStart(8, '0')}` })
        const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
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
    const irs = await buildIrs(IR_COUNT + 10)
    const answers: Uint8Array[] = []
    const send = async (m: BuiltRequest): Promise<void> => {
      const res = await fetch(`${center.url}/.well-known/cmp`, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp' }, body: m.der })
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
      // Decoded after the clock stops: the client's parsing is not the center's cost.
      answers.push(new Uint8Array(await res.arrayBuffer()))
    }
    for (const m of irs.slice(IR_COUNT)) await send(m) // warm-up
    const latencies: number[] = []
    const queue = irs.slice(0, IR_COUNT)
    const start = performance.now()
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let m = queue.shift(); m; m = queue.shift()) {
          const s = performance.now()
          await send(m)
          latencies.push(performance.now() - s)
        }
      }),
    )
    const rps = IR_COUNT / ((performance.now() - start) / 1000)
    for (const a of answers) {
      const r = parseResponse(a)
      if (r.type !== 'ip' || !r.certDer) throw new Error(`issuance failed: ${r.error ?? r.type}`)
    }
    latencies.sort((a, b) => a - b)
    rows.push({ name: `center ir throughput (${IN_FLIGHT} in flight, loopback) vs ${TARGET_RPS}/s target`, ours: rps, reference: TARGET_RPS, unit: 'req/s', ratio: rps / TARGET_RPS, target: '>= 1.0x (higher is better)', met: rps >= TARGET_RPS })
    rows.push({ ...timeRow(`center ir latency p50 vs ${TARGET_P99_MS} ms`, pct(latencies, 50), TARGET_P99_MS, 1), met: pct(latencies, 50) <= TARGET_P99_MS })
    rows.push({ ...timeRow(`center ir latency p99 vs ${TARGET_P99_MS} ms target`, pct(latencies, 99), TARGET_P99_MS, 1) })

    // CPU time of the center's own work per issuance, without HTTP: unlike the wall-clock rows it
    // does not depend on what else the machine runs. The budget is two cores' worth at the target rate.
    const cpuIrs = await buildIrs(CPU_COUNT)
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
    await ours()
    await reference()
    const a: number[] = []
    const b: number[] = []
    for (let i = 0; i < CLIENT_RUNS; i++) {
      a.push(await ours())
      b.push(await reference())
    }
    a.sort((x, y) => x - y)
    b.sort((x, y) => x - y)
    rows.push(timeRow('whole issuance ir..pkiConf: our CMP client vs openssl cmp -cmd ir', pct(a, 50), pct(b, 50), 1.3))
    return rows
  } finally {
    await center.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export default suite
