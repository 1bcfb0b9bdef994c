import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { SOFTHSM_MODULE, softHsmToken } from '../helpers/softhsm'
import { checkpoint, expect, openApp, test } from './helpers/wizard-host'

const LABEL = 'bank-token'
const PIN = '135790'

test.use({ wizardOptions: { tokens: [{ label: LABEL, pin: PIN }] } })

test.describe('보안토큰 tab and a token renewal a crash left open', () => {
  test('token renewal pending: the tab says so beside the token until it is opened with its PIN', async ({ page, wapp, pageErrors }) => {
    // What a renewal killed after its new key pair was made leaves in the data folder's journal
    // (the key ids need not exist: the new pair was never stored, so settling only drops it).
    const tok = await softHsmToken(LABEL)
    const entry = { kind: 'token', token: { module: SOFTHSM_MODULE, label: LABEL, serial: tok.serial }, oldIdHex: 'aa11', newIdHex: 'bb22', centerUrl: wapp.center.url, oldSerialHex: '01', oldCertDer: '', at: new Date().toISOString() }
    writeFileSync(join(dirname(wapp.root), 'data', 'pending-renewals.json'), JSON.stringify({ pending: [entry] }))

    await openApp(page, wapp)
    await page.getByTestId('loc-tab-token').click()
    const panel = page.getByTestId('token-panel')
    await expect(panel.getByTestId('token-renewal-pending')).toHaveText('갱신 마무리 필요: PIN으로 열면 인증센터에 확인해 한 쌍만 남깁니다')
    await checkpoint(page, 'token-renewal-pending-01')

    await panel.getByTestId('token-open').first().click()
    const pinDialog = page.getByRole('dialog', { name: '보안토큰 PIN' })
    await pinDialog.getByTestId('pin-input').fill(PIN)
    await pinDialog.getByTestId('pin-submit').click()
    await expect(panel.getByTestId('token-empty')).toBeVisible()
    await panel.getByTestId('token-close').click()
    await expect(panel.getByTestId('token')).toHaveCount(1)
    await expect(panel.getByTestId('token-renewal-pending')).toHaveCount(0)
    expect(pageErrors).toEqual([])
  })
})
