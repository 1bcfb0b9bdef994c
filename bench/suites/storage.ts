import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parseCertificate } from '../../core/certs/parse'
import { copyCerts } from '../../core/storage/batch'
import { fixture } from '../../core/storage/testkit'
import type { BenchResult, BenchSuite } from '../types'
import { paired, pairedTimeRow, timeRow, wallMs } from '../util'

const run = promisify(execFile)
const COUNT = Number(process.env.BENCH_STORAGE_COUNT ?? 1000)
// Three rounds, judged on the median per-round ratio: on a shared disk one round can be several
// times slower than the next, and cp's `sync -f` flushes whatever else the disk has dirty.
const ROUNDS = Number(process.env.BENCH_STORAGE_ROUNDS ?? 3)

/**
 * 1,000 distinct certificate folders: the fixture with the last digits of its CN rewritten in
 * place (same length, so the DER stays well-formed and every folder gets its own name; the
 * signature no longer verifies, which copying does not look at).
 */
function plant(root: string): string[] {
  const fx = fixture()
  const marker = Buffer.from('191000030')
  const at = Buffer.from(fx.cert).indexOf(marker)
  if (at < 0) throw new Error('fixture CN not found')
  const folders: string[] = []
  for (let i = 0; i < COUNT; i++) {
    const cert = Buffer.from(fx.cert)
    cert.write(String(i).padStart(marker.length, '0'), at, 'latin1')
    const facts = parseCertificate(cert)
    const dir = join(root, facts.caFolder, 'USER', facts.npkiFolderName)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'signCert.der'), cert)
    writeFileSync(join(dir, 'signPri.key'), fx.key)
    writeFileSync(join(dir, 'kmCert.der'), cert)
    writeFileSync(join(dir, 'kmPri.key'), fx.key)
    folders.push(dir)
  }
  return folders
}

async function copyAll(folders: string[], toRoot: string, password?: string): Promise<void> {
  const results = await copyCerts(folders, { toRoot, password })
  const failed = results.find((r) => r.outcome === 'failed')
  if (failed) throw new Error(`copy failed: ${failed.outcome === 'failed' ? failed.error.message : ''}`)
}

async function cpReference(src: string, dst: string): Promise<void> {
  await run('cp', ['-r', src, dst])
  // cp does not fsync; syncing the file system afterwards puts the same data on disk.
  await run('sync', ['-f', dst])
}

const suite: BenchSuite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'))
  try {
    const src = join(dir, 'src', 'NPKI')
    const folders = plant(src)
    const password = fixture().password
    let n = 0
    const copy = await paired(
      ROUNDS,
      wallMs(async () => {
        // No `sync -f` after ours: copyCerts returns only once every folder is on disk (one
        // syncfs before the renames, one fsync of each parent folder after them).
        const to = join(dir, 'out', `ours${n++}`, 'NPKI')
        await copyAll(folders, to)
        const copied = readdirSync(join(to, 'yessign', 'USER')).length
        if (copied !== COUNT) throw new Error(`copied ${copied} of ${COUNT} folders`)
      }),
      wallMs(() => cpReference(src, join(dir, 'out', `cp${n++}`))),
      {
        warmup: false,
        // Unmeasured, before each copy: the last copy is removed and the planting or the
        // removal flushed, so neither lands in the next measurement (cp's sync above all).
        before: async () => {
          rmSync(join(dir, 'out'), { recursive: true, force: true })
          mkdirSync(join(dir, 'out'))
          await run('sync', ['-f', dir])
        },
        // Past 20 s (a busy shared disk), fewer rounds: the suite stays under a minute.
        budgetMs: 20_000,
      },
    )
    // Once: the key derivations take seconds and have no target.
    await run('sync', ['-f', dir])
    const checkedMs = await wallMs(() => copyAll(folders, join(dir, 'checked', 'NPKI'), password))()
    const results: BenchResult[] = [
      pairedTimeRow(`copy ${COUNT} certificate folders (batched, atomic, durable: syncfs + dir fsync) vs cp -r + sync -f`, copy, 2),
      // Informational (no target): the same copy re-checking each certificate password, as the
      // app does; the key derivation and RSA parse dominate, not the file system.
      { ...timeRow(`copy ${COUNT} folders with password re-check vs cp -r + sync -f`, checkedMs, copy.reference, 1), target: 'informational', met: undefined },
    ]
    return results
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export default suite
