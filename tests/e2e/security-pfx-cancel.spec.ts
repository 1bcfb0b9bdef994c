/**
 * Finding 2 of the desktop security review, the part a user sees: a slow but legal PFX (each
 * derivation just under the iteration cap) shows its key derivation's progress, and 취소 stops
 * it in main: 'pfx.import' ends CANCELLED, nothing lands in the NPKI folder, and the panel is
 * idle again saying 취소했습니다. Browser host, real services, Debian's Chromium; the PFX is made
 * by openssl, not by our writer.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_PFX_ITERATIONS, MAX_PFX_WORK } from '../../core/formats/pfx-limits'
import { expect, screen, test } from './helpers/app-host'

const PASSWORD = 'slow-pfx-pass1!'
const ITERATIONS = 560_000

/**
 * The slowest legal PFX openssl makes: the legacy layout (3DES, PKCS#12 KDF, SHA-1) runs seven
 * derivations of `-iter` rounds (MAC; key, IV and a second key pass per bag), so 560,000 keeps
 * the file just under the per-file work cap (7 × 560,000 = 3,920,000 of 4,000,000).
 */
function slowPfx(dir: string): string {
  const key = join(dir, 'slow.key')
  const cert = join(dir, 'slow.crt')
  const out = join(dir, 'slow.pfx')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/C=KR/O=yessign/OU=personal4IB/CN=slow()'], { stdio: 'ignore' })
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', out, '-passout', `pass:${PASSWORD}`, '-legacy', '-iter', String(ITERATIONS)], { stdio: 'ignore' })
  return out
}

/** Every file under dir, recursively (the NPKI root must stay without any). */
function filesUnder(dir: string): string[] {
  let found: string[] = []
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  for (const e of entries) found = e.isDirectory() ? [...found, ...filesUnder(join(dir, e.name))] : [...found, join(dir, e.name)]
  return found
}

test.describe('security: cancel a slow PFX import', () => {
  test.use({ npkiTree: 'empty' })

  test('security finding 2: cancel stops the key derivation of a slow PFX, shows its progress, and imports nothing', async ({ openApp, app }) => {
    expect(ITERATIONS).toBeLessThan(MAX_PFX_ITERATIONS)
    expect(7 * ITERATIONS).toBeLessThan(MAX_PFX_WORK)
    const path = slowPfx(app.tmp)
    const page = await openApp()
    await page.getByTestId('loc-tab-file').click()
    const panel = page.getByTestId('file-panel')
    await panel.getByTestId('pfx-file').setInputFiles(path)
    // The browser host cannot learn a chosen file's path; the advanced field names it for main.
    await panel.getByTestId('pfx-path-advanced').locator('summary').click()
    await panel.getByTestId('pfx-path').fill(path)
    await panel.getByTestId('pfx-import-password').fill(PASSWORD)
    const answer = page.waitForResponse((r) => r.url().includes('/api/call/pfx.import'), { timeout: 30_000 })
    await panel.getByTestId('pfx-import').click()

    const progress = panel.getByTestId('pfx-progress')
    await expect(progress).toContainText(/키 해독 중… [0-9]+%/)
    // At once: even the slowest legal file takes about a second here (the panel's percentages
    // are covered by PfxImportPanel.test.ts).
    await panel.getByTestId('pfx-cancel').click()

    // Main answers the import itself with CANCELLED: its derivation was stopped, not left running.
    const res = await answer
    const body = (await res.json()) as { ok: boolean; error?: { code: string } }
    expect(body.ok).toBe(false)
    expect(body.error?.code).toBe('CANCELLED')
    await expect(panel.getByTestId('pfx-cancelled')).toContainText('취소했습니다')
    await expect(progress).toHaveCount(0)
    await expect(panel.getByTestId('error')).toHaveCount(0)
    await expect(panel.getByTestId('pfx-import')).toBeEnabled()
    expect(app.roots.flatMap(filesUnder)).toEqual([])
    await screen(page, 'security-pfx-cancel-cancelled')
  })
})
