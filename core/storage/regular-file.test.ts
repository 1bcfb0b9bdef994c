import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../tests/helpers/fixtures'
import { readRegularFile, readRegularFileSync } from './regular-file'

const w = tempDir('certmgr-regular-')
afterAll(() => rmSync(w, { recursive: true, force: true }))

describe.runIf(process.platform !== 'win32')('readRegularFile', () => {
  const fifo = join(w, 'signCert.der')
  execFileSync('mkfifo', [fifo])
  const small = join(w, 'small.der')
  writeFileSync(small, new Uint8Array([1, 2, 3]))

  it('reads a regular file within the cap, both ways', async () => {
    expect([...readRegularFileSync(small)]).toEqual([1, 2, 3])
    expect([...(await readRegularFile(small))]).toEqual([1, 2, 3])
  })

  it('refuses a FIFO without waiting for a writer, and a device', async () => {
    expect(() => readRegularFileSync(fifo)).toThrowError(expect.objectContaining({ code: 'DAMAGED', params: { reason: 'not-regular-file' } }))
    await expect(readRegularFile(fifo)).rejects.toMatchObject({ code: 'DAMAGED', params: { reason: 'not-regular-file' } })
    expect(() => readRegularFileSync('/dev/zero')).toThrowError(expect.objectContaining({ params: { reason: 'not-regular-file' } }))
  })

  it('refuses a file over the cap before reading it', async () => {
    expect(() => readRegularFileSync(small, 2)).toThrowError(expect.objectContaining({ code: 'BAD_REQUEST', params: { reason: 'too-large' } }))
    await expect(readRegularFile(small, 2)).rejects.toMatchObject({ params: { reason: 'too-large' } })
    expect([...readRegularFileSync(small, 3)]).toEqual([1, 2, 3])
  })
})
