/**
 * Long work shows progress: a PFX export (its file chosen in the picker, no path typed) and a
 * copy to another NPKI root show main's stages as a bar with their words, through the browser
 * host with the real services and Debian's Chromium. Main's answer to the call is held back in
 * the browser until the page has shown the last stage main reported (its events come over their
 * own stream), so the screen under test is the one a user sees on a slow disk; then it is
 * delivered and the work is checked where it landed (openssl reads the PFX; the copy is listed).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
const rows = (page: Page) => page.getByTestId('cert-row')

/** Holds main's answer to one call in the browser until `release()`; `answered` resolves once main has answered. */
async function holdAnswer(page: Page, call: string): Promise<{ answered: Promise<{ ok: boolean }>; release(): void }> {
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let answer!: (body: { ok: boolean }) => void
  const answered = new Promise<{ ok: boolean }>((r) => (answer = r))
  await page.route(`**/api/call/${call}`, async (route) => {
    const response = await route.fetch()
    answer((await response.json()) as { ok: boolean })
    await released
    await route.fulfill({ response })
  })
  return { answered, release }
}

/** Records, in order, each stage the page's progress bar showed (data-stage; '' before main's first event). */
async function recordStages(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { __stages: string[] }).__stages = seen
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid$="-progress"][data-stage]')
      const s = el?.getAttribute('data-stage')
      if (s !== undefined && s !== null && seen.at(-1) !== s) seen.push(s)
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-stage'] })
  })
  return () => page.evaluate(() => (window as unknown as { __stages: string[] }).__stages)
}

/** `seen` is in the order of `all` (a stage may pass between two paints unseen). */
function inOrder(seen: string[], all: string[]): boolean {
  let i = 0
  for (const s of seen) {
    const at = all.indexOf(s, i)
    if (at < 0) return false
    i = at + 1
  }
  return true
}

test.describe('long work shows progress', () => {
  test.use({ npkiTree: 'fixture' })

  test('a PFX export chosen in the picker shows its progress, then the file made', async ({ openApp, app, pageErrors }) => {
    const home = join(app.tmp, 'home')
    mkdirSync(join(home, 'Documents'), { recursive: true })
    const prevHome = process.env.HOME
    process.env.HOME = home
    try {
      const page = await openApp()
      await rows(page).first().click()
      const details = page.getByRole('dialog', { name: '인증서 정보' })
      await details.getByTestId('action-exportPfx').click()
      const panel = details.getByTestId('export-panel')
      await panel.getByTestId('pfx-password').fill(PASSWORD)
      await panel.getByTestId('pfx-out-pick').click()
      const picker = page.getByRole('dialog', { name: 'PFX 파일을 저장할 곳' })
      await picker.getByTestId('picker-entry').filter({ hasText: 'Documents' }).click()
      await expect(picker.getByTestId('picker-name')).toHaveValue('HKD.pfx')
      await picker.getByTestId('picker-save').click()
      await expect(picker).toHaveCount(0)
      const out = join(home, 'Documents', 'HKD.pfx')
      await expect(panel.getByTestId('pfx-out-chosen')).toContainText(out)
      await expect(panel.getByTestId('pfx-out')).toBeHidden()
      await panel.getByTestId('pfx-next').click()

      const held = await holdAnswer(page, 'pfx.export')
      const stages = await recordStages(page)
      await panel.getByTestId('pfx-run').click()
      const progress = panel.getByTestId('export-progress')
      expect((await held.answered).ok).toBe(true)
      // Main's last stage before its answer is the write (95%): from there the export completes,
      // so 취소 is no longer offered and the panel says why.
      await expect(progress.locator('label')).toHaveText('PFX 파일을 만드는 중… 95%')
      await expect(panel.getByTestId('export-progress-bar')).toHaveAttribute('value', '95')
      await expect(panel.getByTestId('export-cancel')).toHaveCount(0)
      await expect(panel.getByTestId('export-no-cancel')).toContainText('취소할 수 없습니다')
      await panel.scrollIntoViewIfNeeded()
      await screen(page, 'progress-export')
      held.release()

      await expect(panel.getByTestId('pfx-done')).toContainText('HKD.pfx')
      await expect(progress).toHaveCount(0)
      expect(await stages()).toEqual(['', 'pfx-export'])
      expect(existsSync(out)).toBe(true)
      execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PASSWORD}`], { stdio: 'ignore' })
      expect(pageErrors).toEqual([])
    } finally {
      if (prevHome === undefined) delete process.env.HOME
      else process.env.HOME = prevHome
    }
  })

  test('a copy to another root shows its stages by name, then completes and is listed twice', async ({ openApp, app, pageErrors }) => {
    const page = await openApp()
    const backup = join(app.tmp, 'backup', 'NPKI')
    mkdirSync(backup, { recursive: true })
    // A second root outside the picker's places: the settings' advanced typed path (set-up, not the flow under test).
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('new-root-advanced').click()
    await page.getByTestId('new-root').fill(backup)
    await page.getByTestId('add-root').click()
    await expect(page.getByTestId('extra-roots')).toContainText(backup)
    await page.getByTestId('nav-list').click()
    await expect(rows(page)).toHaveCount(1)

    await rows(page).first().click()
    const details = page.getByRole('dialog', { name: '인증서 정보' })
    await details.getByTestId('action-copyTo').click()
    const panel = details.getByTestId('copy-panel')
    await panel.locator(`[data-testid="dest"][data-path="${backup}"] input`).check()
    await panel.getByTestId('cm-password').fill(PASSWORD)
    await panel.getByTestId('cm-next').click()

    const held = await holdAnswer(page, 'storage.copy')
    const stages = await recordStages(page)
    await panel.getByTestId('cm-run').click()
    const progress = panel.getByTestId('cm-progress')
    expect((await held.answered).ok).toBe(true)
    // The copy's stages are read, open, check, write, done (app/file-op.ts): the last one main
    // reported before its answer is 'done', at 100%, past the point where a cancel could help.
    await expect(progress).toHaveAttribute('data-stage', 'done')
    await expect(progress.locator('label')).toHaveText('마무리하는 중… 100%')
    await expect(panel.getByTestId('cm-progress-bar')).toHaveAttribute('value', '100')
    await expect(panel.getByTestId('cm-cancel')).toHaveCount(0)
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'progress-copy')
    held.release()

    await expect(panel.getByTestId('cm-result')).toContainText('인증서를 복사했습니다')
    await expect(progress).toHaveCount(0)
    const seen = await stages()
    expect(seen[0]).toBe('')
    expect(seen.at(-1)).toBe('done')
    expect(inOrder(seen, ['', 'read', 'open', 'check', 'write', 'done']), seen.join(',')).toBe(true)
    expect(existsSync(join(backup, 'yessign', 'USER'))).toBe(true)
    await details.getByTestId('details-close').click()
    await expect(rows(page)).toHaveCount(2)
    expect(pageErrors).toEqual([])
  })
})
