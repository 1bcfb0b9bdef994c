import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Trash } from '../../core/storage/trash'
import { PINK, PINK_FOLDER, PINK_PASSWORD, addPinkCert, tempDir } from '../../tests/helpers/fixtures'
import { treeSnapshot } from '../../tests/helpers/tree-snapshot'
import { main } from '../certmgr'
import type { CliIO } from '../command'
import { keysCommands } from './keys'
import { pfxCommands } from './pfx'
import { storageCommands } from './storage'

// The CLI side of the file use-cases: the same stages the wizard's handlers see, on standard
// error's status line when it is a terminal (never on standard output), and Ctrl-C as the
// cancel, with the same guarantee: a cancel before the write leaves every folder as it was.

const COMMANDS = [...pfxCommands, ...storageCommands, ...keysCommands]
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

interface Run {
  code: number
  out: string[]
  err: string[]
  status: string[]
}

/** Runs certmgr in-process; with `terminal`, stderr is a terminal and `interruptAt` presses Ctrl-C when a status line contains it. */
async function certmgr(argv: string[], opts: { terminal?: boolean; interruptAt?: string } = {}): Promise<Run> {
  const run: Run = { code: -1, out: [], err: [], status: [] }
  let interrupt: (() => void) | undefined
  const io: CliIO = {
    out: (t) => run.out.push(t),
    err: (t) => run.err.push(t),
    readSecret: async (p) => readFileSync(p, 'utf8').replace(/\r?\n$/, ''),
    onInterrupt: (h) => {
      interrupt = h
      return () => (interrupt = undefined)
    },
    ...(opts.terminal
      ? {
          status: (t: string) => {
            run.status.push(t)
            if (opts.interruptAt && t.includes(opts.interruptAt)) interrupt?.()
          },
        }
      : {}),
  }
  run.code = await main(argv, io, COMMANDS)
  return run
}

function scene(): { base: string; root: string; folder: string; usb: string; pw: string; newPw: string; data: string } {
  const base = tempDir('cli-usecase-')
  dirs.push(base)
  const root = join(base, 'NPKI')
  const folder = addPinkCert(root)
  const usb = join(base, 'USB', 'NPKI')
  mkdirSync(usb, { recursive: true })
  const secrets = join(base, 'secrets')
  mkdirSync(secrets)
  const pw = join(secrets, 'pw')
  writeFileSync(pw, PINK_PASSWORD + '\n')
  const newPw = join(secrets, 'new')
  writeFileSync(newPw, 'Zx9!mk2#Qp7w\n')
  return { base, root, folder, usb, pw, newPw, data: join(base, 'data') }
}

interface CliCase {
  argv(s: ReturnType<typeof scene>): Promise<string[]> | string[]
  /** The status lines a terminal sees, in order. */
  stages: string[]
  /** Where a Ctrl-C must leave everything as it was. */
  interruptible: string[]
}

const CASES: Record<string, CliCase> = {
  'export-pfx': {
    argv: (s) => ['export-pfx', s.folder, '--out', join(s.base, 'hkd.pfx'), '--password-file', s.pw, '--profile', 'compatible'],
    stages: ['checking', 'opening the key', 'deriving keys', 'verifying', 'writing'],
    interruptible: ['checking', 'opening the key', 'deriving keys', 'verifying', 'writing'],
  },
  'import-pfx': {
    argv: (s) => {
      const pfx = join(s.base, 'in.pfx')
      copyFileSync(join(PINK, 'test.pfx'), pfx)
      return ['import-pfx', pfx, '--root', s.usb, '--password-file', s.pw]
    },
    stages: ['checking', 'reading', 'deriving keys', 'encrypting the key', 'writing'],
    interruptible: ['checking', 'reading', 'deriving keys', 'encrypting the key', 'writing'],
  },
  copy: {
    argv: (s) => ['copy', s.folder, '--to-root', s.usb, '--password-file', s.pw],
    stages: ['reading', 'opening the key', 'checking', 'writing'],
    interruptible: ['reading', 'opening the key', 'checking', 'writing'],
  },
  move: {
    argv: (s) => ['move', s.folder, '--to-root', s.usb, '--password-file', s.pw],
    stages: ['reading', 'opening the key', 'checking', 'writing', 'verifying', 'removing the original'],
    interruptible: ['reading', 'opening the key', 'checking', 'writing', 'verifying', 'removing the original'],
  },
  delete: {
    argv: (s) => ['delete', s.folder, '--data', s.data],
    stages: ['checking', 'moving to the trash'],
    interruptible: ['checking', 'moving to the trash'],
  },
  'trash restore': {
    argv: async (s) => ['trash', 'restore', (await new Trash(s.data).put(s.folder)).id, '--data', s.data],
    stages: ['restoring'],
    interruptible: ['restoring'],
  },
  passwd: {
    argv: (s) => ['passwd', s.folder, '--password-file', s.pw, '--new-password-file', s.newPw],
    stages: ['checking', 'opening the key', 'encrypting the key', 'writing'],
    interruptible: ['checking', 'opening the key', 'encrypting the key', 'writing'],
  },
}

/** Status lines as stage names: the percentage dropped, repeats folded, the final clear left out. */
function stagesOf(status: string[]): string[] {
  const names = status.filter((t) => t !== '').map((t) => t.replace(/^certmgr [a-z -]+: /, '').replace(/( [0-9]+%)?…$/, ''))
  return names.filter((n, i) => i === 0 || names[i - 1] !== n)
}

for (const [name, c] of Object.entries(CASES)) {
  describe(`certmgr ${name}: progress and Ctrl-C`, () => {
    it('shows its stages on a terminal, clears the line, and prints the same standard output as without one', async () => {
      const a = scene()
      const plain = await certmgr(await c.argv(a))
      const b = scene()
      const tty = await certmgr(await c.argv(b), { terminal: true })
      expect(plain.code).toBe(0)
      expect(tty.code).toBe(0)
      expect(stagesOf(tty.status)).toEqual(c.stages)
      expect(tty.status.at(-1)).toBe('')
      // Standard output is the same text, but for the scene's own temporary folder.
      expect(tty.out.map((l) => l.split(b.base).join('<base>').replace(/[0-9a-f]{16}/g, '<id>'))).toEqual(plain.out.map((l) => l.split(a.base).join('<base>').replace(/[0-9a-f]{16}/g, '<id>')))
      expect(tty.err).toEqual([])
    })

    for (const at of c.interruptible) {
      it(`Ctrl-C at '${at}' exits 2 with one line and leaves every folder as it was`, async () => {
        const s = scene()
        const argv = await c.argv(s)
        const before = treeSnapshot(s.base)
        const r = await certmgr(argv, { terminal: true, interruptAt: at })
        expect(r.code).toBe(2)
        expect(r.err).toHaveLength(1)
        expect(r.err[0]).toMatch(/^certmgr [a-z -]+: .*cancelled/)
        expect(r.out).toEqual([])
        expect(treeSnapshot(s.base)).toEqual(before)
      })
    }
  })
}

describe('certmgr export-pfx: the use-case rules hold on the command line too', () => {
  it('writes a PFX only as a .pfx or .p12 file (as the wizard does), leaving any other file alone', async () => {
    const s = scene()
    const out = join(s.base, 'notes.txt')
    writeFileSync(out, 'keep me')
    const r = await certmgr(['export-pfx', s.folder, '--out', out, '--password-file', s.pw, '--overwrite'])
    expect(r.code).toBe(2)
    expect(r.err[0]).toContain('must end in .pfx or .p12')
    expect(readFileSync(out, 'utf8')).toBe('keep me')
    expect(existsSync(join(s.base, 'notes.pfx'))).toBe(false)
  })
})

describe('certmgr copy PATH...: the batch shows its stages and Ctrl-C cancels it between folders', () => {
  const CN_DIGITS = '191000030'
  /** Three different certificates (the fixture's CN digits rewritten; same key and password). */
  function batchScene(): ReturnType<typeof scene> & { folders: string[] } {
    const s = scene()
    const cert = readFileSync(join(s.folder, 'signCert.der'))
    const at = cert.indexOf(CN_DIGITS)
    expect(at).toBeGreaterThan(0)
    const folders = [0, 1, 2].map((i) => {
      const c = Buffer.from(cert)
      c.write(String(i).padStart(CN_DIGITS.length, '0'), at, 'latin1')
      const dir = join(s.root, 'yessign', 'USER', PINK_FOLDER.replace(CN_DIGITS, String(i).padStart(CN_DIGITS.length, '0')))
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'signCert.der'), c)
      copyFileSync(join(s.folder, 'signPri.key'), join(dir, 'signPri.key'))
      return dir
    })
    return { ...s, folders }
  }
  const argv = (s: ReturnType<typeof batchScene>): string[] => ['copy', ...s.folders, '--to-root', s.usb, '--password-file', s.pw]

  it('shows reading, checking and writing on a terminal (with how far), clears the line, and prints the same standard output as without one', async () => {
    const a = batchScene()
    const plain = await certmgr(argv(a))
    const b = batchScene()
    const tty = await certmgr(argv(b), { terminal: true })
    expect(plain.code).toBe(0)
    expect(plain.out).toHaveLength(3)
    expect(tty.code).toBe(0)
    expect(stagesOf(tty.status)).toEqual(['reading', 'checking', 'writing'])
    expect(tty.status).toContain('certmgr copy: writing 33%…')
    expect(tty.status.at(-1)).toBe('')
    expect(tty.out.map((l) => l.split(b.base).join('<base>'))).toEqual(plain.out.map((l) => l.split(a.base).join('<base>')))
    expect(tty.err).toEqual([])
  })

  for (const at of ['reading', 'checking', 'writing…']) {
    it(`Ctrl-C at '${at}' exits 2, says none of the 3 folders was copied, and leaves every folder as it was`, async () => {
      const s = batchScene()
      const before = treeSnapshot(s.base)
      const r = await certmgr(argv(s), { terminal: true, interruptAt: at })
      expect(r.code).toBe(2)
      expect(r.err).toEqual(['certmgr copy: the operation was cancelled: 0 of 3 folders copied, the other 3 left as they were'])
      expect(r.out).toEqual([])
      expect(treeSnapshot(s.base)).toEqual(before)
    })
  }

  it('Ctrl-C once the first folder is written leaves that folder whole and the others unwritten, and says 1 of 3 was copied', async () => {
    const s = batchScene()
    const r = await certmgr(argv(s), { terminal: true, interruptAt: 'writing 33%' })
    expect(r.code).toBe(2)
    expect(r.err).toEqual(['certmgr copy: the operation was cancelled: 1 of 3 folders copied, the other 2 left as they were'])
    expect(r.out).toHaveLength(1)
    const user = join(s.usb, 'yessign', 'USER')
    // Only the first folder, whole, and nothing half-written beside it.
    expect(readdirSync(user)).toEqual([basename(s.folders[0]!)])
    for (const f of ['signCert.der', 'signPri.key']) expect(readFileSync(join(user, basename(s.folders[0]!), f))).toEqual(readFileSync(join(s.folders[0]!, f)))
    expect(r.out[0]).toContain(join(user, basename(s.folders[0]!)))
  })
})
