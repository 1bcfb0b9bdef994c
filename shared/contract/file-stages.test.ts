import { describe, expect, it } from 'vitest'
import { FILE_OPS, cancellableAt, type FileOp } from './file-stages'

// The stage order of the file operations used to be written three times: main's progress
// fractions (app/file-op.ts), the panels' point of no return (renderer/src/progress) and the
// use-cases. Each use-case is checked against this table (core/usecases/file-usecases.test.ts).

describe('the stage order is written three times: one shared stage table', () => {
  it('every operation completes from a stage of its own order, before done', () => {
    for (const [op, { stages, completesFrom }] of Object.entries(FILE_OPS)) {
      const s: readonly string[] = stages
      expect(s.at(-1), op).toBe('done')
      expect(s.indexOf(completesFrom), op).toBeGreaterThanOrEqual(0)
      expect(s.indexOf(completesFrom), op).toBeLessThan(s.length - 1)
    }
  })

  it('the panels offer 취소 before the first report and up to the stage the use-case completes from, never after', () => {
    const offered = (op: FileOp) => ['', ...FILE_OPS[op].stages].filter((s) => cancellableAt(op, s))
    expect(offered('copy')).toEqual(['', 'read', 'open', 'check'])
    // A move heard at 'verify' takes back only a new copy, not one that replaced a certificate.
    expect(offered('move')).toEqual(['', 'read', 'open', 'check'])
    expect(offered('delete')).toEqual(['', 'check'])
    expect(offered('restore')).toEqual([''])
    expect(offered('changePassword')).toEqual(['', 'check', 'open', 'encrypt'])
  })
})
