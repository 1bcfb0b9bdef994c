import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEvent } from '../../shared/contract/progress'
import { addPinkCert, makeMixedRoot, tempDir } from '../../tests/helpers/fixtures'
import { createAppServices, type AppServices } from '../app-services'

// The app keeps one scan for the list and the reminders (scan-cache.ts); these check that what
// it keeps never hides a change, whoever made it.
let services: AppServices
let root: string
let prevRoots: string | undefined
const ctx = { emit: (_e: AppEvent) => undefined }

async function listedFolders(): Promise<string[]> {
  const r = await services.dispatch('certs.list', {}, ctx)
  if (!r.ok) throw new Error(r.error.message)
  return (r.value as { certs: { path: string }[] }).certs.map((c) => c.path)
}

beforeAll(async () => {
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  root = makeMixedRoot().root
  process.env.CERTMGR_NPKI_ROOTS = root
  services = await createAppServices({ dataDir: tempDir(), host: 'web', version: 'test', reminders: false, embeddedCenter: false, driveList: async () => [] })
})
afterAll(async () => {
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
})

describe('the kept scan of the certificate list', () => {
  it('shows a certificate another program wrote, without 새로고침 (the watcher drops the kept scan)', async () => {
    const before = await listedFolders()
    const added = addPinkCert(root, { folder: 'cn=written-by-another-program,o=yessign,c=kr' })
    expect(before).not.toContain(added)
    await expect.poll(listedFolders, { timeout: 5000, interval: 50 }).toContain(added)
    rmSync(added, { recursive: true })
    await expect.poll(listedFolders, { timeout: 5000, interval: 50 }).not.toContain(added)
  })
  it('shows the result of a call that writes at once, and 새로고침 always scans', async () => {
    const listed = await listedFolders()
    const victim = listed.find((p) => p.includes('broken'))!
    const r = await services.dispatch('certs.list', {}, ctx)
    const id = (r as { ok: true; value: { certs: { id: string; path: string }[] } }).value.certs.find((c) => c.path === victim)!.id
    expect(await services.dispatch('storage.delete', { certId: id }, ctx)).toMatchObject({ ok: true })
    expect(await listedFolders()).not.toContain(victim)
    const fresh = await services.dispatch('certs.list', { rescan: true }, ctx)
    expect((fresh as { ok: true; value: { certs: { path: string }[] } }).value.certs.map((c) => c.path)).not.toContain(victim)
  })
})
