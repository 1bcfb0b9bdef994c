import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FILE_OPS, type AppEvent } from '../../shared/contract/progress'
import { keysCalls } from '../../shared/contract/keys'
import { storageCalls } from '../../shared/contract/storage'
import { tokenCalls } from '../../shared/contract/token'
import { certIdFor, rememberCerts } from '../../core/certs/registry'
import type { FoundCert } from '../../core/certs/scan'
import { decryptSignPri } from '../../core/formats/signpri'
import { RootPolicy } from '../../core/roots/root-policy'
import { Trash } from '../../core/storage/trash'
import { PINK_PASSWORD, addPinkCert, tempDir } from '../../tests/helpers/fixtures'
import { treeSnapshot } from '../../tests/helpers/tree-snapshot'
import { createDispatcher } from '../dispatch'
import { createKeysHandlers } from '../keys/handlers'
import { RunningOps } from '../running-ops'
import { createStorageHandlers } from './handlers'

// The wizard's side of copy, move, delete, restore and password change: the same use-cases as
// `certmgr` (cli/commands/file-usecases.test.ts), the same guarantee. With an opId each call
// reports the use-case's stages in order, and a cancel heard at any stage before the write
// leaves every folder as it was. The cancel here comes from the area's record of running
// operations as the stage is announced, as 'storage.cancel' / 'keys.cancel' do it.

const NEW_PASSWORD = 'Zx9!mk2#Qp7w'
const saved = process.env.CERTMGR_NPKI_ROOTS
let base = ''
let pcRoot = ''
let otherRoot = ''
let folder = ''
let trash: Trash
const storageOps = new RunningOps()
const keysOps = new RunningOps()
const dirs: string[] = []

beforeEach(() => {
  base = tempDir('file-ops-')
  dirs.push(base)
  pcRoot = join(base, 'home', 'NPKI')
  otherRoot = join(base, 'docs', 'NPKI')
  mkdirSync(otherRoot, { recursive: true })
  process.env.CERTMGR_NPKI_ROOTS = [pcRoot, otherRoot].join(':')
  folder = addPinkCert(pcRoot)
  rememberCerts([{ path: folder } as FoundCert])
  trash = new Trash(join(base, 'data'))
})
afterEach(() => rememberCerts([]))
afterAll(() => {
  if (saved === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = saved
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function dispatcher() {
  const handlers = {
    ...createStorageHandlers({ dataDir: join(base, 'data'), trash, roots: new RootPolicy(), tokenModules: async () => [], ops: storageOps }),
    ...createKeysHandlers(keysOps),
  }
  return createDispatcher({ ...storageCalls, ...tokenCalls, ...keysCalls }, handlers as never)
}

interface Case {
  call: string
  ops: RunningOps
  stages: readonly string[]
  request(): Promise<Record<string, unknown>>
  cancellable: string[]
  /** What a finished call left behind. */
  finished(): void
}

const CASES: Record<string, Case> = {
  'storage.copy': {
    call: 'storage.copy',
    ops: storageOps,
    stages: FILE_OPS.copy.stages,
    request: async () => ({ certId: certIdFor(folder), password: PINK_PASSWORD, toRoot: otherRoot }),
    cancellable: ['read', 'open', 'check', 'write'],
    finished: () => expect(readFileSync(join(folder, 'signCert.der')).length).toBeGreaterThan(0),
  },
  'storage.move': {
    call: 'storage.move',
    ops: storageOps,
    stages: FILE_OPS.move.stages,
    request: async () => ({ certId: certIdFor(folder), password: PINK_PASSWORD, toRoot: otherRoot }),
    cancellable: ['read', 'open', 'check', 'write', 'verify', 'remove'],
    finished: () => expect(() => readFileSync(join(folder, 'signCert.der'))).toThrow(),
  },
  'storage.delete': {
    call: 'storage.delete',
    ops: storageOps,
    stages: FILE_OPS.delete.stages,
    request: async () => ({ certId: certIdFor(folder) }),
    cancellable: ['check', 'trash'],
    finished: () => expect(() => readFileSync(join(folder, 'signCert.der'))).toThrow(),
  },
  'storage.trashRestore': {
    call: 'storage.trashRestore',
    ops: storageOps,
    stages: FILE_OPS.restore.stages,
    request: async () => ({ trashId: (await trash.put(folder)).id }),
    cancellable: ['restore'],
    finished: () => expect(readFileSync(join(folder, 'signCert.der')).length).toBeGreaterThan(0),
  },
  'keys.changePassword': {
    call: 'keys.changePassword',
    ops: keysOps,
    stages: FILE_OPS.changePassword.stages,
    request: async () => ({ certId: certIdFor(folder), oldPassword: PINK_PASSWORD, newPassword: NEW_PASSWORD }),
    cancellable: ['check', 'open', 'encrypt', 'write'],
    finished: () => expect(decryptSignPri(new Uint8Array(readFileSync(join(folder, 'signPri.key'))), NEW_PASSWORD).pkcs8.length).toBeGreaterThan(0),
  },
}

function progressOf(events: AppEvent[], opId: string): { stage: string; fraction: number | undefined }[] {
  return events.flatMap((e) => (e.type === 'progress' && e.progress.opId === opId ? [{ stage: e.progress.stage, fraction: e.progress.fraction }] : []))
}

for (const [name, c] of Object.entries(CASES)) {
  describe(`${name} through the dispatcher`, () => {
    it('reports the use-case stages in order under its opId, from 0 to 1', async () => {
      const events: AppEvent[] = []
      const r = await dispatcher()(c.call, { opId: 'op', ...(await c.request()) }, { emit: (e) => events.push(e) })
      expect(r.ok).toBe(true)
      const seen = progressOf(events, 'op')
      const expected = c.stages.filter((s) => seen.some((p) => p.stage === s))
      expect(seen.map((p) => p.stage)).toEqual(expected)
      expect(seen.at(-1)).toEqual({ stage: 'done', fraction: 1 })
      const fractions = seen.map((p) => p.fraction ?? -1)
      expect([...fractions].sort((a, b) => a - b)).toEqual(fractions)
      c.finished()
    })

    for (const at of c.cancellable) {
      it(`a cancel heard at '${at}' is CANCELLED and leaves every folder as it was`, async () => {
        const req = await c.request()
        const before = treeSnapshot(base)
        const ctx = { emit: (e: AppEvent) => void (e.type === 'progress' && e.progress.stage === at && c.ops.cancel('op-c')) }
        const r = await dispatcher()(c.call, { opId: 'op-c', ...req }, ctx)
        expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
        expect(treeSnapshot(base)).toEqual(before)
      })
    }
  })
}

describe('each area cancels only its own operations', () => {
  it("storage.cancel and keys.cancel answer for their own area's opIds only", async () => {
    const d = dispatcher()
    const ctx = { emit: () => undefined }
    let storageAnswer: unknown
    let keysAnswer: unknown
    const events = {
      emit: (e: AppEvent) => {
        if (e.type !== 'progress' || e.progress.stage !== 'check' || storageAnswer) return
        // Asked while the copy runs under 'same': the keys area has no such operation.
        keysAnswer = keysOps.cancel('same')
        storageAnswer = storageOps.cancel('same')
      },
    }
    const r = await d('storage.copy', { opId: 'same', certId: certIdFor(folder), password: PINK_PASSWORD, toRoot: otherRoot }, events)
    expect(keysAnswer).toBe(false)
    expect(storageAnswer).toBe(true)
    expect(r).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(await d('storage.cancel', { opId: 'none' }, ctx)).toEqual({ ok: true, value: { cancelled: false } })
    expect(await d('keys.cancel', { opId: 'none' }, ctx)).toEqual({ ok: true, value: { cancelled: false } })
  })
})
