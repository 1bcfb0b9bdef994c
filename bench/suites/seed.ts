import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { seedCbcDecrypt, seedCbcEncrypt } from '../../core/formats/seed'
import type { BenchResult, BenchSuite } from '../types'
import { paired } from '../util'

const run = promisify(execFile)
const BLOCK = 16384
const TARGET = 0.4
/** Rounds of (ours, openssl): an odd count, so the median is one round's ratio. */
const ROUNDS = 3

/** User CPU milliseconds: `openssl speed` divides by user CPU time too, so a busy machine skews neither side. */
function cpuMs(): number {
  return process.cpuUsage().user / 1000
}

/** Our SEED-CBC throughput in MB/s over `seconds` of CPU time, on 16 KiB buffers like `openssl speed -bytes 16384`. */
function ours(op: 'encrypt' | 'decrypt', seconds: number): number {
  const key = new Uint8Array(randomBytes(16))
  const iv = new Uint8Array(randomBytes(16))
  const plain = new Uint8Array(randomBytes(BLOCK - 1)) // one padding byte: exactly 16 KiB of cipher work
  const ct = seedCbcEncrypt(key, iv, plain)
  const f = op === 'encrypt' ? () => seedCbcEncrypt(key, iv, plain) : () => seedCbcDecrypt(key, iv, ct)
  for (let i = 0; i < 50; i++) f() // let the JIT settle before timing
  let bytes = 0
  const start = cpuMs()
  let elapsed = 0
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 16; i++) f()
    bytes += 16 * BLOCK
    elapsed = cpuMs() - start
  }
  return bytes / 1e6 / (elapsed / 1000)
}

/** `openssl speed -evp seed-cbc` at 16 KiB, in MB/s (its table is in 1000s of bytes per second). */
async function openssl(decrypt: boolean): Promise<number> {
  const args = ['speed', '-evp', 'seed-cbc', '-provider', 'legacy', '-provider', 'default', '-seconds', '1', '-bytes', String(BLOCK)]
  if (decrypt) args.splice(1, 0, '-decrypt')
  const { stdout } = await run('openssl', args, { timeout: 30_000 })
  const line = stdout.split('\n').find((l) => /^seed-cbc\s/i.test(l.trim()))
  const m = line ? /([\d.]+)k\s*$/.exec(line.trim()) : null
  if (!m?.[1]) throw new Error('cannot parse openssl speed output')
  return (Number(m[1]) * 1000) / 1e6
}

const suite: BenchSuite = async () => {
  const rows: BenchResult[] = []
  for (const op of ['encrypt', 'decrypt'] as const) {
    // Throughputs (MB/s), alternated round by round; judged on the median per-round ratio.
    const p = await paired(
      ROUNDS,
      async () => ours(op, 1),
      () => openssl(op === 'decrypt'),
      { warmup: false },
    )
    const ratio = p.ratio
    rows.push({
      name: `SEED-CBC ${op} throughput (16 KiB buffers)`,
      ours: Math.round(p.ours * 10) / 10,
      reference: Math.round(p.reference * 10) / 10,
      unit: 'MB/s',
      ratio: Math.round(ratio * 100) / 100,
      target: `>= ${TARGET}x (throughput: higher is better; median of per-round ratios)`,
      met: ratio >= TARGET,
    })
  }
  return rows
}

export default suite
