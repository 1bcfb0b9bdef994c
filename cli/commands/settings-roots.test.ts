import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAppServices } from '../../app/app-services'
import { PasswordGuard } from '../../app/password-guard'
import type { CertSummary } from '../../shared/contract/certs'
import { addPinkCert, PINK_FOLDER, PINK_PASSWORD, tempDir } from '../../tests/helpers/fixtures'
import { main } from '../certmgr'
import { cliContext, type CliIO } from '../command'

// The CLI's root policy is the app's: the extra roots of 설정 (settings.json in the data folder,
// resolved by the same function, so CERTMGR_DATA_DIR points both at one file) are roots for
// `certmgr list` and accept writes exactly where the app accepts them.
const w = tempDir('certmgr-cli-settings-roots-')
const pc = join(w, 'home', 'NPKI')
const extra = join(w, 'work-disk', 'NPKI')
const data = join(w, 'data')
const env = { ...process.env, CERTMGR_NPKI_ROOTS: pc, CERTMGR_DATA_DIR: data }
afterAll(() => rmSync(w, { recursive: true, force: true }))

async function certmgr(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readSecret: async () => PINK_PASSWORD }
  const code = await main(argv, io, undefined, cliContext(env, { driveTool: async () => '{"blockdevices":[]}', platform: 'linux' }))
  return { code, out, err }
}

const listed = async (): Promise<string[]> => (JSON.parse((await certmgr(['list', '--json'])).out) as { path: string }[]).map((c) => c.path)

describe('certmgr and the extra roots of the app’s settings', () => {
  it('a root added in settings is listed by certmgr list and accepted for writes where the app accepts it', async () => {
    const inExtra = addPinkCert(extra)
    const onPc = addPinkCert(pc, { folder: PINK_FOLDER })
    const prev = { roots: process.env.CERTMGR_NPKI_ROOTS }
    process.env.CERTMGR_NPKI_ROOTS = pc
    const app = await createAppServices({ dataDir: data, host: 'web', version: 'test', watch: false, reminders: false, embeddedCenter: false, driveList: async () => [], passwordGuard: new PasswordGuard() })
    try {
      const ctx = { emit: () => undefined }
      const appList = async (): Promise<CertSummary[]> => {
        const r = await app.dispatch('certs.list', {}, ctx)
        if (!r.ok) throw new Error(r.error.message)
        return (r.value as { certs: CertSummary[] }).certs
      }
      // Before: neither the app nor the CLI knows the folder.
      expect(await listed()).toEqual([onPc])
      const pcId = (await appList()).find((c) => c.path === onPc)!.id
      expect(await app.dispatch('storage.copy', { certId: pcId, password: PINK_PASSWORD, toRoot: extra, overwrite: true }, ctx)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
      expect(await cliContext(env).roots.requireRoot(extra, ['pc']).catch((e: Error) => e.message)).toBe('that folder is not one of the NPKI folders')

      // 설정 → 인증서 폴더 추가, through the app.
      expect(await app.dispatch('settings.set', { extraRoots: [extra] }, ctx)).toMatchObject({ ok: true })

      // The CLI lists it, as the app does.
      expect((await listed()).sort()).toEqual([inExtra, onPc].sort())
      expect((await appList()).map((c) => c.path).sort()).toEqual([inExtra, onPc].sort())
      // Writes: the app's copy into it is accepted, and the CLI's policy accepts it as a writable PC root.
      rmSync(inExtra, { recursive: true })
      expect(await app.dispatch('storage.copy', { certId: pcId, password: PINK_PASSWORD, toRoot: extra, overwrite: true }, ctx)).toMatchObject({ ok: true })
      expect(existsSync(join(inExtra, 'signPri.key'))).toBe(true)
      const policy = cliContext(env).roots
      const root = await policy.requireRoot(extra, ['pc'])
      expect(root).toMatchObject({ path: extra, source: 'settings', location: 'pc' })
      expect(await policy.isWritable(root)).toBe(true)
      rmSync(inExtra, { recursive: true })
      const copied = await certmgr(['copy', onPc, '--to-root', extra, '--password-file', 'pw'])
      expect(copied.err).toBe('')
      expect(copied.code).toBe(0)
      expect(existsSync(join(inExtra, 'signPri.key'))).toBe(true)
    } finally {
      await app.close()
      if (prev.roots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
      else process.env.CERTMGR_NPKI_ROOTS = prev.roots
    }
  })
})
