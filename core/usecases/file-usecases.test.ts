import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FILE_OPS, type FileOp } from '../../shared/contract/file-stages'
import { CertError } from '../../shared/errors'
import { decryptSignPri } from '../formats/signpri'
import { readPfx } from '../formats/pfx'
import { Trash } from '../storage/trash'
import { PINK, PINK_PASSWORD, addPinkCert, tempDir } from '../../tests/helpers/fixtures'
import { treeSnapshot } from '../../tests/helpers/tree-snapshot'
import { changeCertificatePassword } from './change-password'
import { copyCertificate, moveCertificate } from './copy-move'
import { exportPfxFile } from './pfx-export'
import { importPfxFile } from './pfx-import'
import type { FilePorts, FileStage } from './ports'
import { deleteCertificate, restoreCertificate } from './trash-folder'

// Each file use-case reports its stages in order, and a cancel heard at any stage before the
// write leaves every folder it touches exactly as it was (nothing half-written, the source
// untouched); a move heard before the source is removed takes its new copy back out.

const NEW_PASSWORD = 'Zx9!mk2#Qp7w'
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function scratch(): string {
  const d = tempDir('usecase-')
  dirs.push(d)
  return d
}

interface Case {
  /** Lays out a fresh scene; `run` performs the use-case once with the given ports. */
  setup(): { run(ports: FilePorts): Promise<unknown>; watched: string[]; done(): void }
  stages: FileStage[]
  /** Its row in the one stage table that main's progress and the panels' cancel read. */
  op?: FileOp
  /** Stages at which a cancel must leave everything as it was (all stages up to the write). */
  cancellable: FileStage[]
}

function sceneWithCert(): { base: string; root: string; folder: string; dest: string } {
  const base = scratch()
  const root = join(base, 'NPKI')
  const folder = addPinkCert(root)
  const dest = join(base, 'USB', 'NPKI')
  mkdirSync(dest, { recursive: true })
  return { base, root, folder, dest }
}

const CASES: Record<string, Case> = {
  'PFX export': {
    op: 'pfxExport',
    setup() {
      const s = sceneWithCert()
      const out = join(s.base, 'out', 'hong.pfx')
      mkdirSync(join(s.base, 'out'))
      return {
        run: (ports) => exportPfxFile({ folder: s.folder, password: PINK_PASSWORD, profile: 'modern', outPath: out, iterations: 1000 }, ports),
        watched: [s.base],
        done: () => void expect(existsSync(out)).toBe(true),
      }
    },
    stages: ['check', 'open', 'derive', 'verify', 'write', 'done'],
    cancellable: ['check', 'open', 'derive', 'verify', 'write'],
  },
  'PFX import': {
    op: 'pfxImport',
    setup() {
      const base = scratch()
      const pfx = join(base, 'in.pfx')
      copyFileSync(join(PINK, 'test.pfx'), pfx)
      const root = join(base, 'NPKI')
      return {
        run: (ports) => importPfxFile({ source: pfx, pfxPassword: PINK_PASSWORD, root, keyPassword: NEW_PASSWORD }, ports),
        watched: [base],
        done: () => void expect(existsSync(root)).toBe(true),
      }
    },
    stages: ['check', 'read', 'derive', 'encrypt', 'write', 'done'],
    cancellable: ['check', 'read', 'derive', 'encrypt', 'write'],
  },
  copy: {
    op: 'copy',
    setup() {
      const s = sceneWithCert()
      return {
        run: (ports) => copyCertificate({ folder: s.folder, toRoot: s.dest, password: PINK_PASSWORD }, ports),
        watched: [s.base],
        done: () => void expect(existsSync(s.folder)).toBe(true),
      }
    },
    stages: ['read', 'open', 'check', 'write', 'done'],
    cancellable: ['read', 'open', 'check', 'write'],
  },
  move: {
    op: 'move',
    setup() {
      const s = sceneWithCert()
      return {
        run: (ports) => moveCertificate({ folder: s.folder, toRoot: s.dest, password: PINK_PASSWORD }, ports),
        watched: [s.base],
        done: () => void expect(existsSync(s.folder)).toBe(false),
      }
    },
    stages: ['read', 'open', 'check', 'write', 'verify', 'remove', 'done'],
    // Heard after the copy was written, the cancel takes the copy back out.
    cancellable: ['read', 'open', 'check', 'write', 'verify', 'remove'],
  },
  delete: {
    op: 'delete',
    setup() {
      const s = sceneWithCert()
      const data = join(s.base, 'data')
      return {
        run: (ports) => deleteCertificate({ folder: s.folder }, { ...ports, trash: new Trash(data) }),
        watched: [s.base],
        done: () => void expect(existsSync(s.folder)).toBe(false),
      }
    },
    stages: ['check', 'trash', 'done'],
    cancellable: ['check', 'trash'],
  },
  restore: {
    op: 'restore',
    setup() {
      const s = sceneWithCert()
      const trash = new Trash(join(s.base, 'data'))
      let id = ''
      return {
        run: async (ports) => {
          // The entry is made once per scene, before the watched snapshot is compared.
          return restoreCertificate({ trashId: id }, { ...ports, trash })
        },
        watched: [s.base],
        done: () => void expect(existsSync(s.folder)).toBe(true),
        // Put the folder in the trash first (outside the measured run).
        ...{ prepare: async () => (id = (await trash.put(s.folder)).id) },
      } as ReturnType<Case['setup']> & { prepare(): Promise<string> }
    },
    stages: ['restore', 'done'],
    cancellable: ['restore'],
  },
  'password change (folder)': {
    op: 'changePassword',
    setup() {
      const s = sceneWithCert()
      return {
        run: (ports) => changeCertificatePassword({ folder: s.folder }, { oldPassword: PINK_PASSWORD, newPassword: NEW_PASSWORD }, { ...ports, iterations: 2048 }),
        watched: [s.base],
        done: () => void expect(decryptSignPri(new Uint8Array(readFileSync(join(s.folder, 'signPri.key'))), NEW_PASSWORD).pkcs8.length).toBeGreaterThan(0),
      }
    },
    stages: ['check', 'open', 'encrypt', 'write', 'done'],
    cancellable: ['check', 'open', 'encrypt', 'write'],
  },
  'password change (PFX)': {
    setup() {
      const base = scratch()
      const pfx = join(base, 'mine.pfx')
      copyFileSync(join(PINK, 'test.pfx'), pfx)
      return {
        run: (ports) => changeCertificatePassword({ pfxFile: pfx }, { oldPassword: PINK_PASSWORD, newPassword: NEW_PASSWORD }, { ...ports, iterations: 1000 }),
        watched: [base],
        done: () => void expect(readPfx(new Uint8Array(readFileSync(pfx)), NEW_PASSWORD)).resolves.toBeTruthy(),
      }
    },
    stages: ['check', 'open', 'derive', 'verify', 'write', 'done'],
    cancellable: ['check', 'open', 'derive', 'verify', 'write'],
  },
}

async function prepared(c: Case): Promise<ReturnType<Case['setup']>> {
  const scene = c.setup() as ReturnType<Case['setup']> & { prepare?: () => Promise<unknown> }
  await scene.prepare?.()
  return scene
}

/** Stages as reported, repeats folded (the key derivation reports 'derive' once per round batch). */
function folded(events: FileStage[]): FileStage[] {
  return events.filter((s, i) => i === 0 || events[i - 1] !== s)
}

for (const [name, c] of Object.entries(CASES)) {
  describe(`use-case: ${name}`, () => {
    it('reports its stages in order and ends with done', async () => {
      const scene = await prepared(c)
      const seen: FileStage[] = []
      const fractions: number[] = []
      await scene.run({ progress: (stage, fraction) => (seen.push(stage), fractions.push(fraction)) })
      expect(folded(seen)).toEqual(c.stages)
      // The stage order is written once: the shared table main and the panels read is this order.
      if (c.op) expect(FILE_OPS[c.op].stages).toEqual(c.stages)
      expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true)
      expect(fractions.at(-1)).toBe(1)
      scene.done()
    })

    it('a cancel before it starts writes nothing and leaves the source as it was', async () => {
      const scene = await prepared(c)
      const before = treeSnapshot(...scene.watched)
      const ac = new AbortController()
      ac.abort()
      await expect(scene.run({ signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' })
      expect(treeSnapshot(...scene.watched)).toEqual(before)
    })

    for (const stage of c.cancellable) {
      it(`a cancel heard at '${stage}' leaves every folder as it was (CANCELLED)`, async () => {
        const scene = await prepared(c)
        const before = treeSnapshot(...scene.watched)
        const ac = new AbortController()
        const err = await scene.run({ signal: ac.signal, progress: (s) => s === stage && ac.abort() }).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(err).toBeInstanceOf(CertError)
        expect(err).toMatchObject({ code: 'CANCELLED' })
        expect(treeSnapshot(...scene.watched)).toEqual(before)
      })
    }
  })
}
