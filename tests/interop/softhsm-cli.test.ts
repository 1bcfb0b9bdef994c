import { execFileSync, spawnSync } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../cli/certmgr'
import { storageCommands } from '../../cli/commands/storage'
import { parseCertificate } from '../../core/certs/parse'
import { fixture, plantFixture } from '../../core/storage/testkit'
import { textIO } from '../helpers/cli-io'

const MODULE = '/usr/lib/softhsm/libsofthsm2.so'
const LABEL = 'certmgr-cli'
const fx = fixture()
let dir = ''

const io = textIO

const tokenArgs = (): string[] => ['--module', MODULE, '--token', LABEL, '--pin-file', join(dir, 'pin'), '--data', join(dir, 'data')]

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certmgr-softhsm-cli-'))
  mkdirSync(join(dir, 'tokens'))
  writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`)
  process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf')
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', '24680135', '--so-pin', '13572468'], { env: process.env, stdio: 'pipe' })
  writeFileSync(join(dir, 'pin'), '24680135\n')
  writeFileSync(join(dir, 'badpin'), '00000000\n')
  writeFileSync(join(dir, 'pw'), fx.password)
})

afterAll(() => {
  delete process.env.SOFTHSM2_CONF
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('certmgr token commands on SoftHSM2', () => {
  it('imports, lists as JSON (cross-checked with pkcs11-tool), generates a key and deletes', async () => {
    const folder = plantFixture(join(dir, 'npki'))
    let c = io()
    expect(await main(['token', 'import', folder, '--password-file', join(dir, 'pw'), ...tokenArgs()], c, storageCommands)).toBe(0)
    expect(c.outText).toMatch(/^imported \(id [0-9a-f]{40}\)/)

    c = io()
    expect(await main(['token', 'list', '--json', ...tokenArgs()], c, storageCommands)).toBe(0)
    const listed = JSON.parse(c.outText) as { idHex: string; serialHex: string; owner: string; hasPrivateKey: boolean }[]
    const facts = parseCertificate(fx.cert)
    expect(listed).toEqual([expect.objectContaining({ serialHex: facts.serialHex, owner: facts.owner, hasPrivateKey: true })])
    const tool = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', LABEL, '-O'], { encoding: 'utf8', env: process.env })
    expect(tool.stdout).toContain(`ID:         ${listed[0]!.idHex}`)

    c = io()
    expect(await main(['token', 'keygen', '--label', 'next', '--out', join(dir, 'spki.der'), ...tokenArgs()], c, storageCommands)).toBe(0)
    expect(createPublicKey({ key: readFileSync(join(dir, 'spki.der')), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(2048)

    c = io()
    expect(await main(['token', 'delete', listed[0]!.idHex, ...tokenArgs()], c, storageCommands)).toBe(0)
    expect(c.outText).toContain('removed 3 object(s)')
    c = io()
    expect(await main(['token', 'list', ...tokenArgs()], c, storageCommands)).toBe(0)
    expect(c.outText).toContain('no certificates on the token')
  })

  it('a wrong PIN exits 1 and says how many tries are left', async () => {
    const c = io()
    const args = tokenArgs().map((a) => (a.endsWith('/pin') ? join(dir, 'badpin') : a))
    expect(await main(['token', 'list', ...args], c, storageCommands)).toBe(1)
    expect(c.errText).toMatch(/^certmgr token list: the PIN is incorrect \(4 attempts left before this app stops trying\)\n$/)
    // The right PIN resets the count.
    expect(await main(['token', 'list', ...tokenArgs()], io(), storageCommands)).toBe(0)
  })

  it('after five wrong PINs refuses even the right one until token unlock', async () => {
    const bad = tokenArgs().map((a) => (a.endsWith('/pin') ? join(dir, 'badpin') : a))
    for (let i = 0; i < 5; i++) expect(await main(['token', 'list', ...bad], io(), storageCommands)).toBe(1)
    const c = io()
    expect(await main(['token', 'list', ...tokenArgs()], c, storageCommands)).toBe(2)
    expect(c.errText).toMatch(/will not try again/)
    expect(await main(['token', 'unlock', '--module', MODULE, '--token', LABEL, '--data', join(dir, 'data')], io(), storageCommands)).toBe(0)
    expect(await main(['token', 'list', ...tokenArgs()], io(), storageCommands)).toBe(0)
  })
})
