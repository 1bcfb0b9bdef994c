import { spawn } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childRunner, killScratchDir } from '../helpers/kill-runner'
import { scanRoots } from '../../core/certs/scan'
import { decryptSignPri, encryptSignPri, openSignKey } from '../../core/formats/signpri'
import { changePassword } from '../../core/keys/keys'
import { importPfx } from '../../core/pfx/operations'
import { readCertFiles, sameBytes, type CertFiles } from '../../core/storage/folder'
import { copyCert, moveCert } from '../../core/storage/operations'
import { fixture, FIXTURES } from '../../core/storage/testkit'

const REPO = resolve(import.meta.dirname, '../..')
const CHILD_TS = join(REPO, 'core/storage/kill-child.ts')
const SAMPLES_PER_OP = 50 // four operations: 200 kills in all
const fx = fixture()
const P1 = 'Qz7!mK2#xL9p'
const P2 = 'Rt5@nW8$yB3q'

let tmp = ''
let runner: { cmd: string; args: string[] } = { cmd: process.execPath, args: [] }

beforeAll(async () => {
  tmp = killScratchDir('certmgr-kill-')
  runner = await childRunner(CHILD_TS, tmp)
})

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/**
 * Starts the child, waits for "ready", then SIGKILLs it at a random moment within `maxDelayMs`.
 * With `calibrate`, instead waits for three completed operations and returns half the time they took.
 */
function killAtRandom(op: string, cfg: object, maxDelayMs: number, calibrate = false): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(runner.cmd, [...runner.args, op, JSON.stringify(cfg)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let killed = false
    let started = 0
    let ops = 0
    let elapsed = 0
    const kill = (): void => {
      killed = true
      child.kill('SIGKILL')
    }
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString()
      if (!started && text.startsWith('ready')) {
        started = performance.now()
        if (!calibrate) setTimeout(kill, Math.random() * maxDelayMs)
      }
      ops += (text.match(/^op$/gm) ?? []).length
      if (calibrate && ops >= 3 && !killed) {
        // Kills then land uniformly over the first one and a half operations.
        elapsed = (performance.now() - started) / 2
        kill()
      }
    })
    child.on('exit', (code) => {
      if (killed) resolvePromise(elapsed)
      else reject(new Error(`child ${op} exited by itself (${code}): ${stderr.trim()}`))
    })
  })
}

function hiddenLeftovers(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('.'))
  } catch {
    return []
  }
}

let lastGood = ''
function opensWithOneOf(files: CertFiles, passwords: string[]): boolean {
  // Try the password that worked last time first: each attempt is a full key derivation.
  const order = [...passwords].sort((a, b) => Number(b === lastGood) - Number(a === lastGood))
  return order.some((p) => {
    try {
      openSignKey(files['signCert.der']!, files['signPri.key']!, p)
      lastGood = p
      return true
    } catch {
      return false
    }
  })
}

function sameFolder(a: CertFiles, b: CertFiles): boolean {
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  return ka.join('|') === kb.join('|') && ka.every((k) => sameBytes(a[k]!, b[k]!))
}

async function filesOrUndefined(folder: string): Promise<CertFiles | undefined> {
  if (!existsSync(folder)) return undefined
  return readCertFiles(folder)
}

/** No visible folder under the roots may be partial: the certificate list must never show a damaged entry. */
function noDamagedInListing(...roots: string[]): void {
  const { certs } = scanRoots(roots.map((path) => ({ path, source: 'env' as const, location: 'pc' as const })))
  expect(certs.filter((c) => c.state === 'damaged').map((c) => `${c.path}: ${c.damaged}`)).toEqual([])
}

function kmFolder(dir: string, keyFile: Uint8Array): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'signCert.der'), fx.cert)
  writeFileSync(join(dir, 'signPri.key'), keyFile)
  writeFileSync(join(dir, 'kmCert.der'), fx.cert)
  writeFileSync(join(dir, 'kmPri.key'), keyFile)
  return dir
}

const stats = { samples: 0, withLeftovers: 0, emptyDest: 0 }

describe('kill -9 during storage operations', () => {
  it('never leaves a partial certificate, and never loses the source', { timeout: 600_000 }, async () => {
      const pkcs8 = decryptSignPri(fx.key, fx.password).pkcs8
      const keyP1 = encryptSignPri(pkcs8, P1, { scheme: 'A', iterations: 2048 })

      // copy: two sources that differ only in the key file's password
      const copyDir = join(tmp, 'copy')
      const src1 = kmFolder(join(copyDir, 'src1', fx.folderName), fx.key)
      const src2 = kmFolder(join(copyDir, 'src2', fx.folderName), keyP1)
      const src1Files = await readCertFiles(src1)
      const src2Files = await readCertFiles(src2)
      const copyRoot = join(copyDir, 'NPKI')
      const copyDest = join(copyRoot, fx.caFolder, 'USER', fx.folderName)

      // move: one folder travelling between two roots
      const moveDir = join(tmp, 'move')
      const rootA = join(moveDir, 'A')
      const rootB = join(moveDir, 'B')
      const moveOriginal = await readCertFiles(kmFolder(join(rootA, fx.caFolder, 'USER', fx.folderName), fx.key))
      const at = (root: string): string => join(root, fx.caFolder, 'USER', fx.folderName)

      // password change
      const pwDir = join(tmp, 'passwd')
      const pwFolder = kmFolder(join(pwDir, fx.caFolder, 'USER', fx.folderName), fx.key)

      // PFX import
      const pfxDir = join(tmp, 'pfx')
      mkdirSync(pfxDir, { recursive: true })
      const pfxFile = join(pfxDir, 'test.pfx')
      copyFileSync(join(FIXTURES, 'test.pfx'), pfxFile)
      const pfxBytes = readFileSync(pfxFile)
      const pfxRoot = join(pfxDir, 'NPKI')
      const pfxDest = join(pfxRoot, fx.caFolder, 'USER', fx.folderName)

      const workers = {
        copy: async () => {
          const cfg = { src: [src1, src2], root: copyRoot, passwords: [fx.password, P1] }
          const span = await killAtRandom('copy', cfg, 0, true)
          for (let i = 0; i < SAMPLES_PER_OP; i++) {
            await killAtRandom('copy', cfg, span)
            stats.samples++
            const d = await filesOrUndefined(copyDest)
            if (d === undefined) stats.emptyDest++
            else expect(sameFolder(d, src1Files) || sameFolder(d, src2Files), 'destination is one complete source').toBe(true)
            expect(sameFolder(await readCertFiles(src1), src1Files)).toBe(true)
            expect(sameFolder(await readCertFiles(src2), src2Files)).toBe(true)
            if (hiddenLeftovers(join(copyRoot, fx.caFolder, 'USER')).length > 0) stats.withLeftovers++
            noDamagedInListing(copyRoot)
          }
        },
        move: async () => {
          const cfg = { rootA, rootB, caFolder: fx.caFolder, folderName: fx.folderName, passwords: [] }
          const span = await killAtRandom('move', cfg, 0, true)
          for (let i = 0; i < SAMPLES_PER_OP; i++) {
            await killAtRandom('move', cfg, span)
            stats.samples++
            const a = await filesOrUndefined(at(rootA))
            const b = await filesOrUndefined(at(rootB))
            expect(a !== undefined || b !== undefined, 'the certificate is in at least one place').toBe(true)
            for (const x of [a, b]) if (x) expect(sameFolder(x, moveOriginal), 'each copy is complete').toBe(true)
            if (hiddenLeftovers(join(rootA, fx.caFolder, 'USER')).length + hiddenLeftovers(join(rootB, fx.caFolder, 'USER')).length > 0) stats.withLeftovers++
            noDamagedInListing(rootA, rootB)
          }
        },
        passwd: async () => {
          const cfg = { folder: pwFolder, passwords: [fx.password, P1, P2] }
          const span = await killAtRandom('passwd', cfg, 0, true)
          for (let i = 0; i < SAMPLES_PER_OP; i++) {
            await killAtRandom('passwd', cfg, span)
            stats.samples++
            const f = await readCertFiles(pwFolder)
            expect(sameBytes(f['signCert.der']!, fx.cert)).toBe(true)
            expect(opensWithOneOf(f, [fx.password, P1, P2]), 'signPri.key opens with the old or the new password').toBe(true)
            expect(opensWithOneOf({ 'signCert.der': f['kmCert.der']!, 'signPri.key': f['kmPri.key']! }, [fx.password, P1, P2]), 'kmPri.key opens').toBe(true)
            if (hiddenLeftovers(pwFolder).length > 0) stats.withLeftovers++
            noDamagedInListing(pwDir)
          }
        },
        pfx: async () => {
          const cfg = { pfx: pfxFile, root: pfxRoot, passwords: [fx.password, P1, P2] }
          const span = await killAtRandom('pfx', cfg, 0, true)
          for (let i = 0; i < SAMPLES_PER_OP; i++) {
            await killAtRandom('pfx', cfg, span)
            stats.samples++
            const d = await filesOrUndefined(pfxDest)
            if (d === undefined) stats.emptyDest++
            else {
              expect(sameBytes(d['signCert.der']!, fx.cert)).toBe(true)
              expect(opensWithOneOf(d, [P1, P2]), 'imported key opens with a key password').toBe(true)
            }
            expect(readFileSync(pfxFile).equals(pfxBytes)).toBe(true)
            if (hiddenLeftovers(join(pfxRoot, fx.caFolder, 'USER')).length > 0) stats.withLeftovers++
            noDamagedInListing(pfxRoot)
          }
        },
      }
      await Promise.all(Object.values(workers).map((w) => w()))
      expect(stats.samples).toBeGreaterThanOrEqual(200)

      // A later, completed write of the same folder clears whatever the kills left behind.
      await copyCert(src1, { toRoot: copyRoot, overwrite: true })
      expect(hiddenLeftovers(join(copyRoot, fx.caFolder, 'USER'))).toEqual([])
      const fromA = existsSync(at(rootA))
      await moveCert(at(fromA ? rootA : rootB), { toRoot: fromA ? rootB : rootA, overwrite: true })
      await moveCert(at(fromA ? rootB : rootA), { toRoot: fromA ? rootA : rootB, overwrite: true })
      expect([...hiddenLeftovers(join(rootA, fx.caFolder, 'USER')), ...hiddenLeftovers(join(rootB, fx.caFolder, 'USER'))]).toEqual([])
      const f = await readCertFiles(pwFolder)
      const cur = [fx.password, P1, P2].find((p) => opensWithOneOf(f, [p]))!
      await changePassword(pwFolder, cur, cur === P1 ? P2 : P1, { iterations: 2048 })
      expect(hiddenLeftovers(pwFolder)).toEqual([])
      await importPfx(pfxFile, fx.password, pfxRoot, { keyPassword: P1, replace: true })
      await importPfx(pfxFile, fx.password, pfxRoot, { keyPassword: P2, replace: true })
      expect(hiddenLeftovers(join(pfxRoot, fx.caFolder, 'USER'))).toEqual([])
      console.info(`storage-kill: ${stats.samples} kills, ${stats.withLeftovers} left hidden leftovers, ${stats.emptyDest} found an empty destination`)
  })

  it('uses a scratch copy of the fixtures, never the originals', () => {
    expect(existsSync(join(tmp, 'pfx', 'test.pfx'))).toBe(true)
    cpSync(join(FIXTURES, 'signCert.der'), join(tmp, 'probe.der'))
    expect(readFileSync(join(tmp, 'probe.der')).equals(Buffer.from(fx.cert))).toBe(true)
  })
})
