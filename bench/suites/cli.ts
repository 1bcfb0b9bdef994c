import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildCliBin } from '../../cli/build-bin'
import type { BenchResult, BenchSuite } from '../types'
import { timeRow } from '../util'

const FIXTURE = resolve(import.meta.dirname, '../../../shared/fixtures/pypinksign')
const RUNS = 21
const TARGET = 3

/** Wall time of one whole process, start to exit. */
function processMs(args: string[]): number {
  const s = performance.now()
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const ms = performance.now() - s
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().split('\n')[0]}`)
  return ms
}

const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!

// `certmgr list` of three certificates as a user runs it (the bundled bin, a new process each
// time) against the cheapest Node process there is, interleaved so machine load hits both alike.
const suite: BenchSuite = async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'certmgr-bench-cli-'))
  try {
    const bin = await buildCliBin()
    const root = join(tmp, 'NPKI')
    for (let i = 0; i < 3; i++) {
      const f = join(root, 'yessign', 'USER', `cn=HKD${i}`)
      mkdirSync(f, { recursive: true })
      for (const file of ['signCert.der', 'signPri.key']) copyFileSync(join(FIXTURE, file), join(f, file))
    }
    const list = [bin, 'list', '--root', root]
    const bare = ['-e', '']
    processMs(list)
    processMs(bare)
    const ours: number[] = []
    const ref: number[] = []
    for (let i = 0; i < RUNS; i++) {
      ours.push(processMs(list))
      ref.push(processMs(bare))
    }
    const results: BenchResult[] = [timeRow("certmgr list of 3 certificates, whole process (bundled bin) vs node -e ''", median(ours), median(ref), TARGET)]
    return results
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
export default suite
