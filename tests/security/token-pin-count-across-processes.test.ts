import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TokenInfo } from '../../core/token/pkcs11'
import { DEFAULT_PIN_LIMIT } from '../../core/token/pins'
import { certmgr } from '../helpers/center-process'
import { tempDir } from '../helpers/fixtures'
import { SOFTHSM_MODULE, softHsm, type SoftHsm, softHsmToken } from '../helpers/softhsm'

// SoftHSM2 never locks its PIN, so the app's count of wrong PINs is all that stops a script from
// guessing. The count lives in one file shared by the app and every `certmgr` process; each
// process used to read it, try the PIN and write the count back, so guesses made side by side
// in several processes each found the count where it was, and each wrote back one more than that.
const LABEL = 'pin-race'
const PIN = '135790'
const PROCESSES = 10
let hsm: SoftHsm
let token: TokenInfo
let dir: string

beforeAll(async () => {
  hsm = softHsm([{ label: LABEL, pin: PIN }])
  dir = tempDir('certmgr-pin-race-')
  token = await softHsmToken(LABEL)
})
afterAll(() => hsm?.close())

describe('wrong PINs from several certmgr processes at once', () => {
  it('token PIN count across processes: no more PINs reach the token than the limit allows', async () => {
    const wrong = join(dir, 'wrong-pin')
    writeFileSync(wrong, '000000\n')
    const runs = await Promise.all(
      Array.from({ length: PROCESSES }, () => certmgr(['token', 'list', '--module', SOFTHSM_MODULE, '--token', LABEL, '--pin-file', wrong, '--data', dir])),
    )
    const tried = runs.filter((r) => /the PIN is incorrect/.test(r.stderr))
    const refused = runs.filter((r) => /will not try again/.test(r.stderr))
    for (const r of runs) expect(r.code).not.toBe(0)
    // Exactly the limit's worth of guesses reached the token; every other process was refused
    // without trying, and the file counts every guess that was made.
    expect(tried).toHaveLength(DEFAULT_PIN_LIMIT)
    expect(refused).toHaveLength(PROCESSES - DEFAULT_PIN_LIMIT)
    const counts = JSON.parse(readFileSync(join(dir, 'token-pin-failures.json'), 'utf8')) as Record<string, number>
    expect(counts[`${SOFTHSM_MODULE}#${token.serial}`]).toBe(DEFAULT_PIN_LIMIT)
  })
})
