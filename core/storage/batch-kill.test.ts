import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childRunner, killScratchDir } from '../../tests/helpers/kill-runner'
import { parseCertificate } from '../certs/parse'
import { isLeftover } from './atomic'
import { copyCerts } from './batch'
import { readCertFiles, sameFiles, type CertFiles } from './folder'
import { fixture } from './testkit'

const REPO = resolve(import.meta.dirname, '../..')
const CHILD_TS = join(REPO, 'core/storage/batch-kill-child.ts')
const FOLDERS = 16 // enough for the file-system flush rather than per-file fsync
const KILLS = 12
const fx = fixture()

let tmp = ''
let runner: { cmd: string; args: string[] } = { cmd: process.execPath, args: [] }

beforeAll(async () => {
  tmp = killScratchDir('certmgr-batch-kill-')
  runner = await childRunner(CHILD_TS, tmp)
})

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/** Two sets of the same certificates: set B's km key differs, so every copy replaces. */
function plantSets(): { a: string[]; b: string[] } {
  const at = Buffer.from(fx.cert).indexOf('191000030')
  expect(at).toBeGreaterThan(0)
  const sets = { a: [] as string[], b: [] as string[] }
  for (let i = 0; i < FOLDERS; i++) {
    const cert = Buffer.from(fx.cert)
    cert.write(String(i).padStart(9, '0'), at, 'latin1')
    const f = parseCertificate(cert)
    for (const set of ['a', 'b'] as const) {
      const dir = join(tmp, set, f.caFolder, 'USER', f.npkiFolderName)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'signCert.der'), cert)
      writeFileSync(join(dir, 'signPri.key'), fx.key)
      writeFileSync(join(dir, 'kmCert.der'), cert)
      writeFileSync(join(dir, 'kmPri.key'), set === 'a' ? fx.key : Buffer.from(fx.key).reverse())
      sets[set].push(dir)
    }
  }
  return sets
}

/**
 * Kills the child at a random moment within `maxDelayMs` after its first batch (the first one
 * runs cold and would take every kill); with `calibrate`, returns how long a warm batch takes.
 */
function killAtRandom(cfg: object, maxDelayMs: number, calibrate = false): Promise<number> {
  return new Promise((done, reject) => {
    const child = spawn(runner.cmd, [...runner.args, JSON.stringify(cfg)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let killed = false
    let ops = 0
    let firstOp = 0
    let perBatch = 0
    const kill = (): void => {
      killed = true
      child.kill('SIGKILL')
    }
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (d: Buffer) => {
      const before = ops
      ops += (d.toString().match(/^op$/gm) ?? []).length
      if (before === 0 && ops > 0) {
        firstOp = performance.now()
        if (!calibrate) setTimeout(kill, Math.random() * maxDelayMs)
      }
      if (calibrate && ops >= 4 && !killed) {
        perBatch = (performance.now() - firstOp) / (ops - 1)
        kill()
      }
    })
    child.on('exit', (code) => {
      if (killed) done(perBatch)
      else reject(new Error(`child exited by itself (${code}): ${stderr.trim()}`))
    })
  })
}

describe('kill -9 during a batch copy', () => {
  it('never shows a partial folder and never loses one that was there', async () => {
    const { a, b } = plantSets()
    const root = join(tmp, 'dst', 'NPKI')
    const user = join(root, fx.caFolder, 'USER')
    const variants = new Map<string, CertFiles[]>()
    for (let i = 0; i < FOLDERS; i++) variants.set(basename(a[i]!), [await readCertFiles(a[i]!), await readCertFiles(b[i]!)])

    // Kills land uniformly over the second and third batches.
    const window = 2 * (await killAtRandom({ a, b, root }, 0, true))
    const seen = new Set<string>()
    for (let k = 0; k < KILLS; k++) {
      await killAtRandom({ a, b, root }, window)
      const names = readdirSync(user)
      for (const n of names.filter((x) => !x.startsWith('.'))) {
        const files = await readCertFiles(join(user, n))
        expect(variants.get(n)!.some((v) => sameFiles(v, files)), `kill ${k}: ${n} is whole`).toBe(true)
        seen.add(n)
      }
      expect(names.filter((x) => x.startsWith('.') && !isLeftover(x))).toEqual([])
      // A folder caught between its two renames has its previous copy aside, to be put back.
      for (const n of seen) expect(names.includes(n) || names.some((x) => x.startsWith(`.${n}.`) && x.endsWith('.old')), `kill ${k}: ${n} kept`).toBe(true)
    }

    // The next batch puts back or sweeps whatever the kills left.
    const res = await copyCerts(a, { toRoot: root, overwrite: true })
    expect(res.filter((r) => r.outcome === 'failed')).toEqual([])
    expect(readdirSync(user).sort()).toEqual([...variants.keys()].sort())
    for (const [n, [va]] of variants) expect(sameFiles((await readCertFiles(join(user, n)))!, va!)).toBe(true)
  }, 60_000)
})
