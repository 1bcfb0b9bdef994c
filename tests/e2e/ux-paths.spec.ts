import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PASSWORD, addCustomer, expect, issueViaApi, next, openApp, screen, startWizardApp, test, walkIssueToLocation } from './helpers/wizard-host'

test.describe('ux: paths', () => {
  test('ux: no raw paths in notices', async ({ page }) => {
    const media = mkdtempSync(join(tmpdir(), 'certmgr-ux-media-'))
    const mount = join(media, 'STICK')
    mkdirSync(mount)
    const wapp = await startWizardApp({ drives: [{ mountPoint: mount, label: 'STICK' }] })
    try {
      const customer = await addCustomer(wapp)
      const cert = await issueViaApi(wapp, customer)
      await openApp(page, wapp)
      await page.getByTestId('cert-row').click()
      const details = page.getByRole('dialog', { name: '인증서 정보' })
      await details.getByTestId('action-copyTo').click()
      const panel = details.getByTestId('copy-panel')
      await panel.locator('[data-testid="dest"]').filter({ hasText: '이동식디스크' }).locator('input').check()
      await panel.getByTestId('cm-password').fill(PASSWORD)
      await panel.getByTestId('cm-next').click()
      await panel.getByTestId('cm-run').click()
      // Where, in words: the place, the owner, the issuer's folder; never the NPKI path or the DN.
      const result = panel.getByTestId('cm-result')
      await expect(result).toHaveText('인증서를 복사했습니다 · 이동식디스크 · 홍길동 · CertMgr Center')
      await expect(result).not.toContainText('/')
      await expect(result).not.toContainText('cn=')
      await details.getByTestId('details-close').click()
      const notice = page.getByTestId('loc-notice')
      await expect(notice).toContainText('이동식디스크 · 홍길동')
      await expect(notice).not.toContainText('/')
      // 폴더 열기 shows the copied folder, which main found inside the drive's NPKI folder.
      await notice.getByTestId('open-folder').click()
      await expect.poll(() => wapp.opened.length).toBe(1)
      expect(wapp.opened[0]!.startsWith(join(realpathSync(mount), 'NPKI'))).toBe(true)
      expect(wapp.opened[0]).toContain('cn=')
      // Nothing is wider than the window.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280)
      await screen(page, 'ux-notice-copied')
      // A path outside the roots is refused by main, whatever the renderer sends.
      const r = await wapp.services.dispatch('storage.openFolder', { path: tmpdir() }, { emit: () => undefined })
      expect(r.ok).toBe(false)
      expect(wapp.opened).toHaveLength(1)
      expect(cert.path).toContain('cn=')
    } finally {
      await wapp.close()
    }
  })

  test('ux: 완료 says where in words with 폴더 열기', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    await openApp(page, wapp)
    await walkIssueToLocation(page, customer)
    await next(page)
    await page.getByTestId('new-password').fill(PASSWORD)
    await page.getByTestId('new-password2').fill(PASSWORD)
    await next(page)
    await page.getByTestId('run').click()
    const where = page.getByTestId('done-where')
    await expect(where).toContainText('하드디스크 · 홍길동 · CertMgr Center', { timeout: 60_000 })
    await expect(where).not.toContainText('/')
    await where.getByTestId('open-folder').click()
    await expect.poll(() => wapp.opened.length).toBe(1)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280)
  })
})
