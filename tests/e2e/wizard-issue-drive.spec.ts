import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PASSWORD, addCustomer, certFolders, checkpoint, expect, next, openApp, startWizardApp, test, type WizardApp, walkIssueToLocation } from './helpers/wizard-host'

const DEVICE_TEXT = '저장할 디스크가 빠졌거나 찾을 수 없어 인증서를 저장하지 못했습니다. 디스크를 다시 연결하거나 다른 저장 위치를 골라 다시 시도해 주세요. 아무것도 저장되지 않았습니다.'

/** Every certificate the embedded CA made for the customer, oldest first, with its state there. */
async function caStatuses(app: WizardApp, customerId: string): Promise<string[]> {
  const r = await app.center.db.execute({ sql: 'SELECT status FROM ca_certs WHERE customer_id = ? ORDER BY rowid', args: [customerId] })
  return r.rows.map((row) => String(row.status))
}

test.describe('issue wizard', () => {
  test('issue wizard: the destination drive removed during saving, then the list shows the right result', async ({ page, pageErrors }) => {
    // A stick mounted the way desktop Linux mounts one (/media/<user>/<label>).
    const media = mkdtempSync(join(tmpdir(), 'certmgr-wiz-media-'))
    const mount = join(media, 'USB')
    mkdirSync(mount)
    const usbRoot = join(mount, 'NPKI')
    const wapp = await startWizardApp({ drives: [{ mountPoint: mount, label: 'USB' }] })
    try {
      const customer = await addCustomer(wapp)
      await openApp(page, wapp)
      await expect(page.getByTestId('cert-row')).toHaveCount(0)
      await walkIssueToLocation(page, customer)

      // The drive is there and writable when the location is chosen.
      await expect(page.getByTestId('dest-usb')).toBeEnabled()
      await expect(page.getByTestId('dest-usb-note')).toHaveText('USB 메모리 등 연결된 이동식디스크의 NPKI 폴더에 저장합니다.')
      await page.getByTestId('dest-usb').check()
      await expect(page.getByTestId('usb-pick')).toHaveValue(usbRoot)
      await checkpoint(page, 'wizard-issue-16-location-usb')
      await next(page)
      await page.getByTestId('new-password').fill(PASSWORD)
      await page.getByTestId('new-password2').fill(PASSWORD)
      await next(page)
      await expect(page.getByTestId('run-summary')).toContainText('이동식디스크')
      await expect(page.getByTestId('run-summary')).toContainText(usbRoot)

      // The stick is pulled now, after the location step checked it and while the host still
      // lists it (an OS notices a pull only on its next scan). Nothing touches the drive before
      // the save: the key is made in memory and the certificate requested from the center first,
      // so the failure comes at the save, the first write to the drive, before the certificate is
      // confirmed. Doing it before the click rather than during the request keeps it race-free.
      // The mount point becomes a file so that nothing can be created there, as on a pulled stick.
      rmSync(mount, { recursive: true, force: true })
      writeFileSync(mount, '')
      await page.getByTestId('run').click()

      const err = page.getByTestId('wizard-error')
      await expect(err).toBeVisible({ timeout: 60_000 })
      await expect(err).toHaveAttribute('data-code', 'IO')
      await expect(err).toHaveAttribute('data-reason', 'device')
      // One plain sentence: no stack trace, no OS error name, no path.
      expect((await err.innerText()).split('\n')[0]!.trim()).toBe(DEVICE_TEXT)
      await expect(err).not.toContainText(/ENOTDIR|ENOENT|Error|\bat\s|\//)
      await expect(page.getByTestId('to-location')).toHaveText('저장 위치 다시 선택')
      await expect(page.getByTestId('run')).toBeEnabled()
      await expect(page.getByTestId('step-done')).toHaveCount(0)
      await checkpoint(page, 'wizard-issue-17-drive-removed')
      await page.getByTestId('lang-en').click()
      await expect(err).toContainText('The drive to save on was removed or cannot be found, so the certificate was not saved.')
      await page.getByTestId('lang-ko').click()
      await expect(err).toContainText(DEVICE_TEXT)

      // Nothing was left where the drive was, nor on the PC.
      expect(existsSync(usbRoot)).toBe(false)
      expect(statSync(mount).isFile() && statSync(mount).size).toBe(0)
      expect(certFolders(wapp.root)).toEqual([])
      // The center made the certificate (so the request got through and the save failed) but
      // never activated it.
      const afterFailure = await caStatuses(wapp, customer.customerId)
      expect(afterFailure).toHaveLength(1)
      expect(afterFailure[0]).not.toBe('active')

      // The list, in a second window so the wizard keeps its place: still no certificate.
      const list = await page.context().newPage()
      await openApp(list, wapp)
      await expect(list.getByTestId('cert-count')).toBeVisible()
      await expect(list.getByTestId('cert-row')).toHaveCount(0)
      await list.close()

      // Back to the location: the pulled drive cannot be chosen any more, so 하드디스크 is.
      await page.getByTestId('to-location').click()
      await expect(page.getByTestId('step-location')).toBeVisible()
      await expect(page.getByTestId('dest-usb')).toBeDisabled()
      await expect(page.getByTestId('dest-usb-note')).toContainText('연결된 이동식디스크가 없습니다')
      await expect(page.getByTestId('dest-pc')).toBeChecked()
      await next(page)
      await expect(page.getByTestId('new-password')).toHaveValue(PASSWORD)
      await next(page)
      // The same identity check issues again: the center would refuse a second active
      // certificate of this type ('already-issued'), so this succeeds only because the first
      // one was never activated.
      await page.getByTestId('run').click()
      await expect(page.getByTestId('step-done')).toBeVisible({ timeout: 60_000 })
      await expect(page.getByTestId('done-title')).toHaveText('인증서를 발급했습니다.')
      await expect(page.getByTestId('done-where')).toContainText('하드디스크')
      expect(await caStatuses(wapp, customer.customerId)).toEqual([afterFailure[0], 'active'])

      await page.getByTestId('to-list').click()
      const row = page.getByTestId('cert-row')
      await expect(row).toHaveCount(1)
      await expect(row.getByTestId('owner')).toHaveText('홍길동')
      await expect(row.getByTestId('location')).toHaveAttribute('data-location', 'pc')
      expect(certFolders(wapp.root)).toHaveLength(1)
      expect(existsSync(usbRoot)).toBe(false)
      expect(pageErrors).toEqual([])
    } finally {
      await wapp.close()
      rmSync(media, { recursive: true, force: true })
    }
  })
})
