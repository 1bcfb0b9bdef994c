import { execFileSync } from 'node:child_process'
import { expectedCardResponse } from '../../center/ra/card'
import { SOFTHSM_MODULE } from '../helpers/softhsm'
import { IDN, NAME, addCustomer, answerCard, call, checkpoint, expect, latestCode, next, openApp, test } from './helpers/wizard-host'

const LABEL = 'renew-token'
const PIN = '135790'

test.use({ wizardOptions: { tokens: [{ label: LABEL, pin: PIN }] } })

test.describe('renew wizard for a certificate on a security token', () => {
  test('renew wizard: a token certificate is listed after its PIN, renewed on the token without a password', async ({ page, wapp, pageErrors }) => {
    const customer = await addCustomer(wapp)
    // A certificate issued onto the token beforehand (the issue wizard's own test walks that screen).
    const { locations } = await call<{ locations: { kind: string; token?: { module?: string; slot: string } }[] }>(wapp, 'storage.locations', {})
    const slot = locations.find((l) => l.kind === 'token')!.token!
    const { sessionId } = await call<{ sessionId: string }>(wapp, 'center.startSession', { name: NAME, idn: IDN, account: customer.account, purpose: 'issue' })
    await call(wapp, 'center.sendPhoneCode', { sessionId, channel: 'sms' })
    await call(wapp, 'center.verifyPhone', { sessionId, code: await latestCode(wapp) })
    const ch = await call<{ slots: [number, number] }>(wapp, 'center.mediumChallenge', { sessionId })
    await call(wapp, 'center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
    const issued = await call<{ token: { idHex: string }; notAfter: string }>(wapp, 'enroll.issue', { opId: 'setup-token', sessionId, certType: 'limited', destination: { kind: 'token', ...slot, pin: PIN } })

    await openApp(page, wapp)
    await page.getByTestId('nav-renew').click()
    const tokenBox = page.getByTestId('select-token')
    await expect(tokenBox).toContainText('보안토큰에 있는 인증서를 갱신하려면')
    await tokenBox.getByTestId('select-token-pin').fill(PIN)
    await tokenBox.getByTestId('select-token-open').click()
    const choice = tokenBox.getByTestId('select-cert')
    await expect(page.getByTestId('step-select')).not.toContainText('선택할 수 있는 인증서가 없습니다')
    await expect(choice).toHaveCount(1)
    await expect(choice).toHaveAttribute('data-selectable', 'true')
    await expect(choice).toContainText(LABEL)
    await choice.locator('input').check()
    await checkpoint(page, 'wizard-token-renew-01-select')
    // The PIN opened the token: no certificate password step.
    await expect(page.getByTestId('stepper')).not.toContainText('비밀번호')
    await next(page)
    await page.getByTestId('id-account').fill(customer.account)
    await next(page)
    await answerCard(page, customer)
    await next(page)
    await page.getByTestId('run').click()
    await expect(page.getByTestId('done-title')).toHaveText('인증서를 갱신했습니다.', { timeout: 60_000 })
    // The old certificate was removed from the token, not put in the trash.
    await expect(page.getByTestId('done-trash')).toHaveCount(0)
    await expect(page.getByTestId('done-where')).toContainText(LABEL)
    await checkpoint(page, 'wizard-token-renew-02-done')

    // pkcs11-tool: still one key pair and one certificate, under a new ID.
    const objects = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', LABEL, '--login', '--pin', PIN, '--list-objects'], { encoding: 'utf8', env: { ...process.env, SOFTHSM2_CONF: wapp.hsm.conf } })
    expect(objects.match(/^Private Key Object/gm)).toHaveLength(1)
    expect(objects.match(/^Certificate Object/gm)).toHaveLength(1)
    expect(objects).not.toContain(issued.token.idHex)
    expect(pageErrors).toEqual([])
  })
})
