import { execFileSync } from 'node:child_process'
import { SOFTHSM_MODULE } from '../helpers/softhsm'
import { addCustomer, certFolders, checkpoint, expect, next, openApp, test, walkIssueToLocation } from './helpers/wizard-host'

const LABEL = 'my-token'
const PIN = '135790'

test.use({ wizardOptions: { tokens: [{ label: LABEL, pin: PIN }] } })

test.describe('issue wizard onto a security token', () => {
  test('issue wizard: issues straight onto a SoftHSM2 token, and the token tab lists it with its key', async ({ page, wapp, pageErrors }) => {
    const customer = await addCustomer(wapp)
    await openApp(page, wapp)
    await walkIssueToLocation(page, customer)

    // 저장 위치: the token is offered; choosing it asks for its PIN.
    const token = page.getByTestId('dest-token')
    await expect(token).toBeEnabled()
    await expect(page.getByTestId('dest-token-note')).toContainText('개인키는 보안토큰 밖으로 나오지 않으며')
    await token.check()
    const dialog = page.getByRole('dialog', { name: '보안토큰 PIN' })
    await expect(dialog).toBeVisible()
    await expect(dialog.getByTestId('pin-token')).toHaveValue(/.+/)
    await expect(dialog.getByTestId('pin-token').locator('option')).toHaveText([LABEL])
    await dialog.getByTestId('pin-input').fill('000000')
    await dialog.getByTestId('pin-submit').click()
    const err = dialog.getByTestId('wizard-error')
    await expect(err).toHaveAttribute('data-reason', 'pin-incorrect')
    await expect(err).toContainText('보안토큰 PIN이 맞지 않습니다. 다시 입력해 주세요. 남은 시도 4회.')
    await dialog.getByTestId('pin-input').fill(PIN)
    await checkpoint(page, 'wizard-token-01-pin')
    await dialog.getByTestId('pin-submit').click()
    await expect(dialog).toHaveCount(0)
    await expect(page.getByTestId('token-chosen')).toContainText(`보안토큰 ‘${LABEL}’에 발급합니다.`)
    await checkpoint(page, 'wizard-token-02-location')

    // No certificate password on a token: 저장 위치 goes straight to 발급.
    await expect(page.getByTestId('stepper')).not.toContainText('비밀번호')
    await next(page)
    await expect(page.getByTestId('step-run')).toBeVisible()
    await expect(page.getByTestId('run-token')).toHaveText(LABEL)
    await expect(page.locator('[data-stage="keygen"]')).toContainText('보안토큰 안에서')
    await page.getByTestId('run').click()
    await expect(page.getByTestId('step-done')).toBeVisible({ timeout: 60_000 })
    await expect(page.getByTestId('done-where')).toContainText('보안토큰')
    await expect(page.getByTestId('done-where')).toContainText(LABEL)
    await expect(page.getByTestId('done-token')).toContainText(`보안토큰 ‘${LABEL}’에 저장되었습니다`)
    await checkpoint(page, 'wizard-token-03-done')
    // Nothing went to the hard disk.
    expect(certFolders(wapp.root)).toEqual([])

    // 보안토큰 tab: the issued certificate with its private key beside it.
    await page.getByTestId('to-list').click()
    await page.getByTestId('loc-tab-token').click()
    const panel = page.getByTestId('token-panel')
    await panel.getByTestId('token-open').first().click()
    const pinDialog = page.getByRole('dialog', { name: '보안토큰 PIN' })
    await pinDialog.getByTestId('pin-input').fill(PIN)
    await pinDialog.getByTestId('pin-submit').click()
    const row = panel.getByTestId('token-cert')
    await expect(row).toHaveCount(1)
    await expect(row).toContainText('홍길동')
    await expect(row).toContainText('토큰 안에 있음')

    // pkcs11-tool sees one key pair and one certificate.
    const objects = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, '--list-objects'], { encoding: 'utf8', env: { ...process.env, SOFTHSM2_CONF: wapp.hsm.conf } })
    expect(objects.match(/^Private Key Object/gm)).toHaveLength(1)
    expect(objects.match(/^Certificate Object/gm)).toHaveLength(1)
    expect(pageErrors).toEqual([])

  })
})
