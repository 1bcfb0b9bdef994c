import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CertError } from '../shared/errors'
import { readPfx, writePfx } from '../core/formats/pfx'
import { realFs, type FsLayer } from '../core/storage/atomic'
import { moveCert } from '../core/storage/operations'
import { PINK, PINK_PASSWORD, addPinkCert, tempDir } from '../tests/helpers/fixtures'
import { RunningOps } from './running-ops'
import { certErrorOf } from '../tests/helpers/cert-error'

describe('a cancel past the point of no return does not turn a failure into CANCELLED', () => {
  it('a move whose source removal fails after a late cancel keeps its own error, and the copy stays', async () => {
    const base = tempDir('late-cancel-')
    const from = join(base, 'pc', 'NPKI')
    const to = join(base, 'stick', 'NPKI')
    mkdirSync(to, { recursive: true })
    const source = addPinkCert(from)
    const ops = new RunningOps()
    // The cancel lands while the source is being removed: the copy is in place and verified,
    // the move cannot be taken back, and then the removal itself is refused.
    const refusing: FsLayer = {
      ...realFs,
      rename: async () => {
        ops.cancel('mv')
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
      },
    }
    const err = await certErrorOf(ops.withOp('mv', (signal) => moveCert(source, { toRoot: to }, { ports: { signal }, sourceFs: refusing })))
    expect(err.code).toBe('IO')
    expect(err.params).toMatchObject({ reason: 'permission', side: 'source' })
    // Both are there: the copy (which a "cancelled" would deny) and the source that could not go.
    expect(readdirSync(join(to, 'yessign', 'USER'))).toHaveLength(1)
    expect(existsSync(source)).toBe(true)
  })

  it('any other error thrown after a cancel keeps its code and reason', async () => {
    const ops = new RunningOps()
    const err = await certErrorOf(
      ops.withOp('x', async () => {
        ops.cancel('x')
        throw new CertError('IO', 'the source disk is full', { reason: 'disk-full', side: 'source' })
      }),
    )
    expect(err).toMatchObject({ code: 'IO', params: { reason: 'disk-full' } })
  })
})

describe('an operation that stopped because of the cancel is CANCELLED', () => {
  it("the use-case's own cancelled refusal", async () => {
    const ops = new RunningOps()
    const base = tempDir('cancel-move-')
    const source = addPinkCert(join(base, 'pc', 'NPKI'))
    const to = join(base, 'stick', 'NPKI')
    mkdirSync(to, { recursive: true })
    const err = await certErrorOf(
      ops.withOp('mv', (signal) => moveCert(source, { toRoot: to }, { ports: { signal, progress: (s) => s === 'verify' && ops.cancel('mv') } })),
    )
    expect(err.code).toBe('CANCELLED')
    expect(existsSync(source)).toBe(true)
  })

  it("the PFX key derivation's stopped worker", async () => {
    const src = await readPfx(new Uint8Array(readFileSync(join(PINK, 'test.pfx'))), PINK_PASSWORD)
    const slow = await writePfx({ certDer: src.certDer, pkcs8: src.pkcs8 }, PINK_PASSWORD, 'modern', { iterations: 500_000 })
    const ops = new RunningOps()
    const err = await certErrorOf(ops.withOp('pfx', (signal) => readPfx(slow, PINK_PASSWORD, { signal, onProgress: () => ops.cancel('pfx') })))
    expect(err.code).toBe('CANCELLED')
  })

  it("the signal's own reason (signal.throwIfAborted, an aborted fetch)", async () => {
    const ops = new RunningOps()
    const err = await certErrorOf(
      ops.withOp('enroll', async (signal) => {
        ops.cancel('enroll')
        signal.throwIfAborted()
      }),
    )
    expect(err.code).toBe('CANCELLED')
  })
})
