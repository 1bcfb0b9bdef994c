import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptSignPri, encryptSignPri } from '../../core/formats/signpri'
import { changePassword } from '../../core/keys/keys'
import { PINK, PINK_FOLDER, PINK_PASSWORD } from '../helpers/fixtures'
import { childRunner, killScratchDir } from '../helpers/kill-runner'

// Finding 5 of the desktop security review: a password change wrote kmPri.key, then
// signPri.key, so a crash in between left the two keys on different passwords. The change is
// now one unit (core/keys/key-swap.ts) with recovery at the next start. The child is killed
// with SIGKILL just before each of its file-system calls in turn (every step of the change);
// after each kill the app's start-up recovery runs, and both keys must open with the old
// password or both with the new one.
const REPO = resolve(import.meta.dirname, '../..')
const CHILD_TS = join(REPO, 'tests/security/f5-passwd-child.ts')
const NEW = 'Rt5@nW8$yB3q'
const PKCS8 = decryptSignPri(new Uint8Array(readFileSync(join(PINK, 'signPri.key'))), PINK_PASSWORD).pkcs8

let tmp = ''
let runner: { cmd: string; args: string[] } = { cmd: process.execPath, args: [] }
beforeAll(async () => {
  tmp = killScratchDir('sec-f5-')
  runner = await childRunner(CHILD_TS, tmp)
})
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/** A certificate folder with signPri.key and a kmPri.key, both on the fixture's password. */
function freshFolder(n: number): { root: string; folder: string } {
  const root = join(tmp, `run${n}`, 'NPKI')
  const folder = join(root, 'yessign', 'USER', PINK_FOLDER)
  mkdirSync(folder, { recursive: true })
  copyFileSync(join(PINK, 'signCert.der'), join(folder, 'signCert.der'))
  copyFileSync(join(PINK, 'signPri.key'), join(folder, 'signPri.key'))
  writeFileSync(join(folder, 'kmPri.key'), encryptSignPri(PKCS8, PINK_PASSWORD, { scheme: 'A', iterations: 2048 }))
  return { root, folder }
}

function passwordOf(file: string): 'old' | 'new' | 'neither' {
  const data = new Uint8Array(readFileSync(file))
  for (const [name, pw] of [['old', PINK_PASSWORD], ['new', NEW]] as const) {
    try {
      decryptSignPri(data, pw)
      return name
    } catch {
      /* next */
    }
  }
  return 'neither'
}

function runChild(folder: string, killAt: number): Promise<'killed' | 'done'> {
  return new Promise((done, fail) => {
    const child = spawn(runner.cmd, [...runner.args, folder, PINK_PASSWORD, NEW, String(killAt)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', fail)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') done('killed')
      else if (code === 0 && out.startsWith('done')) done('done')
      else fail(new Error(`child exited ${code}: ${err}`))
    })
  })
}

/** What the app does at its next start (app-services), when the module is there. */
async function nextStart(root: string): Promise<void> {
  const swap = (await import('../../core/keys/key-swap').catch(() => undefined)) as { recoverKeySwapsUnder?: (r: string) => Promise<number> } | undefined
  await swap?.recoverKeySwapsUnder?.(root)
}

describe('finding 5: a password change moves both keys together', () => {
  it('killed before each of its file-system calls, both keys open with the same password afterwards', async () => {
    const seen: string[] = []
    let k = 0
    for (; k < 200; k++) {
      const { root, folder } = freshFolder(k)
      const how = await runChild(folder, k)
      await nextStart(root)
      const sign = passwordOf(join(folder, 'signPri.key'))
      const km = passwordOf(join(folder, 'kmPri.key'))
      expect(sign, `step ${k}`).not.toBe('neither')
      expect(km, `step ${k}: kmPri.key on a different password than signPri.key`).toBe(sign)
      // Nothing staged is left behind to be copied along with the folder.
      expect(readdirSync(folder).sort()).toEqual(['kmPri.key', 'signCert.der', 'signPri.key'])
      seen.push(sign)
      if (how === 'done') break
    }
    expect(k).toBeGreaterThan(5)
    expect(k).toBeLessThan(200)
    // Both outcomes happened: the early kills keep the old password, the late ones the new.
    expect(seen[0]).toBe('old')
    expect(seen.at(-1)).toBe('new')
  })

  it('a change that completes re-encrypts both keys to the same PKCS#8', async () => {
    const { folder } = freshFolder(999)
    expect(await changePassword(folder, PINK_PASSWORD, NEW, { iterations: 2048 })).toMatchObject({ km: 'changed' })
    for (const f of ['signPri.key', 'kmPri.key']) expect(Buffer.from(decryptSignPri(new Uint8Array(readFileSync(join(folder, f))), NEW).pkcs8)).toEqual(Buffer.from(PKCS8))
  })
})
