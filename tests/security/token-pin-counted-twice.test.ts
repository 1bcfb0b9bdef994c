import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStorageHandlers } from '../../app/storage/handlers'
import { RootPolicy } from '../../core/roots/root-policy'
import type { TokenInfo } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { RenewalJournal } from '../../core/usecases/renewal-journal'
import { tempDir } from '../helpers/fixtures'
import { SOFTHSM_MODULE, softHsm, type SoftHsm, softHsmToken } from '../helpers/softhsm'

// The 보안토큰 tab's list first settles a token renewal a crash left open (it needs the PIN),
// then lists. One wrong PIN typed there must cost one of the tries, not two: SoftHSM2 never
// locks, but a hardware token counts each C_Login too and locks itself after a few.
const LABEL = 'pin-once'
const PIN = '246810'
let hsm: SoftHsm
let token: TokenInfo
let dir: string

beforeAll(async () => {
  hsm = softHsm([{ label: LABEL, pin: PIN }])
  dir = tempDir('certmgr-pin-once-')
  token = await softHsmToken(LABEL)
})
afterAll(() => hsm?.close())

describe('a wrong PIN in the 보안토큰 tab', () => {
  it('token PIN counted twice: with a token renewal pending, one wrong PIN is one failure', async () => {
    const journal = new RenewalJournal(dir)
    await journal.add({
      kind: 'token',
      token: { module: SOFTHSM_MODULE, label: LABEL, serial: token.serial },
      oldIdHex: 'aa',
      newIdHex: 'bb',
      centerUrl: 'http://127.0.0.1:9',
      oldSerialHex: '01',
      oldCertDer: '',
      at: new Date().toISOString(),
    })
    const guard = new PinGuard(join(dir, 'token-pin-failures.json'), 5)
    const handlers = createStorageHandlers({ dataDir: dir, roots: new RootPolicy({ drives: async () => [] }), journal, pinGuard: guard, tokenModules: async () => [SOFTHSM_MODULE] })
    const ctx = { emit: () => undefined }
    await expect(handlers['token.list']({ slot: token.slot, pin: '000000' }, ctx)).rejects.toMatchObject({ code: 'TOKEN', params: { reason: 'pin-incorrect', attemptsLeft: 4 } })
    expect(guard.failures(`${SOFTHSM_MODULE}#${token.serial}`)).toBe(1)
    // The right PIN then settles the entry (its new key pair was never made) and lists.
    expect(await handlers['token.list']({ slot: token.slot, pin: PIN }, ctx)).toEqual({ certs: [] })
    expect(guard.failures(`${SOFTHSM_MODULE}#${token.serial}`)).toBe(0)
    expect(await journal.tokenEntries()).toEqual([])
  })
})
