import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import { cliContext, type CliIO } from '../command'
import { addPinkCert, tempDir } from '../../tests/helpers/fixtures'

// `certmgr drives` and `certmgr list` take the drives and their NPKI folders from the root
// policy, as the app does. The drive listing is this machine's lsblk parser fed a saved lsblk
// output (core/drives/fixtures) whose two sticks are mounted on temporary folders.
const saved = readFileSync(resolve(import.meta.dirname, '../../core/drives/fixtures/linux/lsblk.json'), 'utf8')

const w = tempDir('certmgr-cli-drives-')
const pc = join(w, 'home', 'NPKI')
const stick = join(w, 'SANDISK')
const linked = join(w, 'NPKI_RO')
let pcCert = ''
let stickCert = ''
afterAll(() => rmSync(w, { recursive: true, force: true }))
beforeAll(() => {
  pcCert = addPinkCert(pc)
  stickCert = addPinkCert(join(stick, 'NPKI'))
  // A stick whose NPKI folder is a link to the PC's: the policy does not follow it.
  mkdirSync(linked)
  symlinkSync(pc, join(linked, 'NPKI'))
})

function run(argv: string[]) {
  const calls: string[] = []
  const lsblk = saved.replaceAll('/media/hong/SANDISK', stick).replaceAll('/media/hong/NPKI_RO', linked)
  const ctx = cliContext({ ...process.env, CERTMGR_NPKI_ROOTS: pc }, {
    platform: 'linux',
    driveTool: async (file, args) => {
      calls.push(`${file} ${args.join(' ')}`)
      return lsblk
    },
  })
  let out = ''
  let err = ''
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readSecret: async () => '' }
  return main(argv, io, undefined, ctx).then((code) => ({ code, out, err, calls }))
}

describe.runIf(process.platform !== 'win32')('certmgr and the drives of the root policy', () => {
  it('drives --json: each drive has the NPKI folder the policy answers, and a link off the drive is not followed', async () => {
    const r = await run(['drives', '--json'])
    expect(r.code).toBe(0)
    expect(r.calls).toHaveLength(1)
    const rows = JSON.parse(r.out) as { mountPoint: string; npkiRoot: string; hasNpki: boolean; followed: boolean }[]
    const at = (m: string) => rows.find((x) => x.mountPoint === m)
    expect(rows).toHaveLength(5)
    expect(at(stick)).toMatchObject({ npkiRoot: join(stick, 'NPKI'), hasNpki: true, followed: true })
    expect(at(linked)).toMatchObject({ npkiRoot: join(linked, 'NPKI'), hasNpki: false, followed: false })
    expect(at('/media/hong/Elements')).toMatchObject({ npkiRoot: '/media/hong/Elements/NPKI', hasNpki: false, followed: true })
  })

  it('drives: the text line says a linked NPKI folder is not followed', async () => {
    const r = await run(['drives'])
    expect(r.code).toBe(0)
    expect(r.out).toContain(`${join(stick, 'NPKI')}\n`)
    expect(r.out).toContain(`${join(linked, 'NPKI')} (not followed: it leads off the drive)`)
  })

  it('list without --root lists the drives\' certificates too, with one drive listing per run', async () => {
    const r = await run(['list', '--json'])
    expect(r.code).toBe(0)
    const paths = (JSON.parse(r.out) as { path: string }[]).map((c) => c.path).sort()
    expect(paths).toEqual([pcCert, stickCert].sort())
    expect(r.calls).toHaveLength(1)
  })

  it('list --root never asks the OS for drives', async () => {
    const r = await run(['list', '--root', pc, '--json'])
    expect(r.code).toBe(0)
    expect((JSON.parse(r.out) as { path: string }[]).map((c) => c.path)).toEqual([pcCert])
    expect(r.calls).toEqual([])
  })
})
