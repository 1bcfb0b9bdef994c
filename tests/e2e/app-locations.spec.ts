/**
 * Storage locations and certificate actions through the UI, against the real services in
 * this process (browser host, temp NPKI roots, the PyPinkSign fixture).
 */
import AxeBuilder from '@axe-core/playwright'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Page } from '@playwright/test'
import { PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
const rows = (page: Page) => page.getByTestId('cert-row')
const axeViolations = async (page: Page) => (await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)

async function addRoot(page: Page, root: string): Promise<void> {
  mkdirSync(root, { recursive: true })
  await page.getByTestId('nav-settings').click()
  // A folder outside the picker's places (a temp folder): the advanced typed path.
  await page.getByTestId('new-root-advanced').click()
  await page.getByTestId('new-root').fill(root)
  await page.getByTestId('add-root').click()
  await expect(page.getByTestId('extra-roots')).toContainText(root)
  await page.getByTestId('nav-list').click()
}

async function openDetails(page: Page, nth = 0) {
  await rows(page).nth(nth).click()
  const details = page.getByRole('dialog', { name: '인증서 정보' })
  await expect(details).toBeVisible()
  return details
}

test.describe('locations and certificate actions', () => {
  test.use({ npkiTree: 'fixture' })

  test('copies a certificate to another configured root and lists it twice', async ({ openApp, app }) => {
    const page = await openApp()
    const backup = join(app.tmp, 'backup', 'NPKI')
    await addRoot(page, backup)
    await expect(page.getByTestId('loc-tab-all')).toHaveAttribute('aria-selected', 'true')
    await expect(rows(page)).toHaveCount(1)

    const details = await openDetails(page)
    await details.getByTestId('action-copyTo').click()
    const panel = details.getByTestId('copy-panel')
    // The certificate's own root is no destination; the configured one is.
    await expect(panel.getByTestId('dest')).toHaveCount(1)
    await panel.locator(`[data-testid="dest"][data-path="${backup}"] input`).check()
    await panel.getByTestId('cm-password').fill('not-the-password')
    await panel.getByTestId('cm-next').click()
    await panel.getByTestId('cm-run').click()
    await expect(panel.getByTestId('error')).toHaveText('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    await panel.getByTestId('cm-password').fill(PASSWORD)
    await panel.getByTestId('cm-next').click()
    await expect(panel.getByTestId('cm-confirm')).toContainText('복사할까요?')
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'locations-copy-confirm')
    expect(await axeViolations(page)).toEqual([])
    await panel.getByTestId('cm-run').click()
    await expect(panel.getByTestId('cm-result')).toContainText('인증서를 복사했습니다')
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'locations-copy-done')
    expect(existsSync(join(backup, 'yessign', 'USER'))).toBe(true)

    await details.getByTestId('details-close').click()
    await expect(rows(page)).toHaveCount(2)
    await expect(page.getByTestId('loc-tab-pc')).toContainText('2')
    await page.getByTestId('loc-tab-usb').click()
    await expect(rows(page)).toHaveCount(0)
    await expect(page.getByTestId('loc-empty')).toBeVisible()
    await expect(page.getByTestId('drives')).toBeVisible()
    await screen(page, 'locations-usb')
    await page.getByTestId('loc-tab-pc').click()
    await expect(rows(page)).toHaveCount(2)
    await screen(page, 'locations-list-twice')
  })

  test('deletes to the trash, lists it in 설정 휴지통 and restores it', async ({ openApp }) => {
    const page = await openApp()
    const details = await openDetails(page)
    await details.getByTestId('action-delete').click()
    const panel = details.getByTestId('delete-panel')
    await expect(panel).toContainText('30일 동안')
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'locations-delete-confirm')
    await panel.getByTestId('del-run').click()
    await expect(page.getByTestId('loc-notice')).toContainText('휴지통으로 옮겼습니다')
    await expect(rows(page)).toHaveCount(0)

    await page.getByTestId('nav-settings').click()
    const entry = page.getByTestId('trash-entry')
    await expect(entry).toHaveCount(1)
    await expect(entry.getByTestId('trash-owner')).toHaveText('HKD')
    await page.getByTestId('trash').scrollIntoViewIfNeeded()
    await screen(page, 'settings-trash')
    await entry.getByTestId('trash-restore').click()
    await expect(page.getByTestId('trash-result')).toContainText('복원했습니다')
    await expect(page.getByTestId('trash-empty')).toBeVisible()
    await page.getByTestId('nav-list').click()
    await expect(rows(page)).toHaveCount(1)
  })

  test('exports a PFX that openssl reads', async ({ openApp, app }) => {
    const page = await openApp()
    const out = join(app.tmp, 'export', 'hkd.pfx')
    mkdirSync(join(app.tmp, 'export'))
    const details = await openDetails(page)
    await details.getByTestId('action-exportPfx').click()
    const panel = details.getByTestId('export-panel')
    await expect(panel).toContainText('최신 방식')
    await expect(panel).toContainText('호환 방식')
    await panel.getByTestId('pfx-password').fill(PASSWORD)
    // The typed path is the advanced option (the picker test below chooses without typing).
    await panel.getByTestId('pfx-out-advanced').click()
    await panel.getByTestId('pfx-out').fill('hkd.pfx')
    await expect(panel.getByTestId('pfx-out-bad')).toBeVisible()
    await expect(panel.getByTestId('pfx-next')).toBeDisabled()
    await panel.getByTestId('pfx-out').fill(out)
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'locations-export')
    await panel.getByTestId('pfx-next').click()
    await panel.getByTestId('pfx-run').click()
    // The file by its name; the whole path is its title (issue 16: no raw paths in notices).
    await expect(panel.getByTestId('pfx-done')).toContainText(basename(out))
    await expect(panel.getByTestId('pfx-done').locator('p').first()).toHaveAttribute('title', out)
    const info = execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PASSWORD}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(typeof info).toBe('string')
    // openssl accepts the MAC and decrypts both bags with the password; a wrong one must fail.
    expect(() => execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', 'pass:wrong-password'], { stdio: 'ignore' })).toThrow()
  })

  test('the token tab asks for a PIN and says plainly when no token is there', async ({ openApp, app }) => {
    // A SoftHSM2 configuration with an empty token folder: no slot, whatever this machine has.
    const conf = join(app.tmp, 'softhsm2.conf')
    mkdirSync(join(app.tmp, 'tokens'))
    writeFileSync(conf, `directories.tokendir = ${join(app.tmp, 'tokens')}\nobjectstore.backend = file\n`)
    const prev = process.env.SOFTHSM2_CONF
    process.env.SOFTHSM2_CONF = conf
    try {
      const page = await openApp()
      await page.getByTestId('loc-tab-token').click()
      const panel = page.getByTestId('token-panel')
      await expect(panel.getByTestId('token-none')).toBeVisible()
      await expect(page.getByTestId('cert-table')).toBeHidden()
      await panel.getByTestId('token-open').click()
      const dialog = page.getByRole('dialog', { name: '보안토큰 PIN' })
      await expect(dialog).toBeVisible()
      await dialog.getByTestId('pin-input').fill('123456')
      await screen(page, 'locations-token-pin')
    expect(await axeViolations(page)).toEqual([])
      await dialog.getByTestId('pin-submit').click()
      const err = dialog.getByTestId('error')
      await expect(err).toHaveAttribute('data-code', 'TOKEN')
      await expect(err).toContainText(/보안토큰을 찾지 못했습니다|보안토큰 드라이버/)
      await screen(page, 'locations-token-error')
      await dialog.getByTestId('pin-cancel').click()
      await expect(dialog).toHaveCount(0)
    } finally {
      if (prev === undefined) delete process.env.SOFTHSM2_CONF
      else process.env.SOFTHSM2_CONF = prev
    }
  })
})

test.describe('PFX files', () => {
  test.use({ npkiTree: 'empty' })

  test("imports a PFX chosen with the browser's own file input (its bytes, no path typed)", async ({ openApp, app }) => {
    const page = await openApp()
    await expect(rows(page)).toHaveCount(0)
    await page.getByTestId('loc-tab-file').click()
    const panel = page.getByTestId('file-panel')
    await panel.getByTestId('pfx-file').setInputFiles(join(PYPINKSIGN, 'test.pfx'))
    await expect(panel.getByTestId('pfx-chosen')).toContainText('test.pfx')
    await expect(panel.getByTestId('pfx-path')).toHaveValue('')
    await panel.getByTestId('pfx-import-password').fill(PASSWORD)
    await expect(panel.getByTestId('pfx-root')).toHaveValue(`pc:${app.roots[0]}`)
    await screen(page, 'locations-file')
    expect(await axeViolations(page)).toEqual([])
    await panel.getByTestId('pfx-import').click()
    await expect(page.getByTestId('loc-notice')).toContainText('가져왔습니다')
    await page.getByTestId('loc-tab-pc').click()
    await expect(rows(page)).toHaveCount(1)
    await expect(rows(page).getByTestId('owner')).toHaveText('HKD')
  })
})
