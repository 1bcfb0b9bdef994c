import { PASSWORD, addCustomer, answerCard, checkpoint, expect, fillIdentity, issueViaApi, next, openApp, test, verifyPhone } from './helpers/wizard-host'

const NEW_PASSWORD = 'Zxcv@5b6n7m'

test.describe('reissue wizard', () => {
  test('reissue wizard: after a forgotten password a new certificate replaces the old one, which is revoked', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    const old = await issueViaApi(wapp, customer, PASSWORD)
    await openApp(page, wapp)
    await expect(page.getByTestId('cert-row')).toHaveCount(1)
    await page.getByTestId('nav-reissue').click()
    await expect(page.getByTestId('wizard-reissue')).toBeVisible()
    await expect(page.getByTestId('wiz-next')).toBeDisabled()
    await page.getByTestId('reason-forgotten').check()
    await checkpoint(page, 'wizard-reissue-01-reason')
    await next(page)
    await fillIdentity(page, customer)
    await checkpoint(page, 'wizard-reissue-02-identity')
    await next(page)
    await verifyPhone(page)
    await answerCard(page, customer)
    await checkpoint(page, 'wizard-reissue-03-auth')
    await next(page)
    await page.getByTestId('type-limited').check()
    await checkpoint(page, 'wizard-reissue-04-type')
    await next(page)
    await checkpoint(page, 'wizard-reissue-05-location')
    await next(page)
    await page.getByTestId('new-password').fill(NEW_PASSWORD)
    await page.getByTestId('new-password2').fill(NEW_PASSWORD)
    await checkpoint(page, 'wizard-reissue-06-password')
    await next(page)
    await checkpoint(page, 'wizard-reissue-07-run')
    await page.getByTestId('run').click()
    await expect(page.getByTestId('done-title')).toHaveText('인증서를 재발급했습니다.', { timeout: 60_000 })
    await expect(page.getByTestId('done-revoked')).toContainText('이전 인증서는 폐지되었습니다.')
    await checkpoint(page, 'wizard-reissue-08-done')

    const newSerial = (await page.getByTestId('done-serial').innerText()).replace(/\s/g, '').toLowerCase()
    expect(newSerial).not.toBe(old.serialHex.toLowerCase())
    // The center revoked the old serial.
    expect((await wapp.center.ca.certBySerial(old.serialHex))?.status).toBe('revoked')
    // Only the new certificate is in the list (the revoked one went to the trash) and it opens
    // with the new password.
    await page.getByTestId('to-list').click()
    const rows = page.getByTestId('cert-row')
    await expect(rows).toHaveCount(1)
    await rows.first().click()
    // The serial is among the technical rows folded under 자세히.
    await page.getByTestId('details-more-toggle').click()
    await expect(page.getByTestId('d-serial')).toBeVisible()
    expect((await page.getByTestId('d-serial').innerText()).replace(/\s/g, '').toLowerCase()).toBe(newSerial)
    await page.keyboard.press('Escape')
    const trash = (await wapp.services.dispatch('storage.trashList', {}, { emit: () => undefined })) as { ok: true; value: { entries: { serialHex?: string }[] } }
    expect(trash.value.entries.map((e) => e.serialHex?.toLowerCase())).toContain(old.serialHex.toLowerCase())
    const r = await wapp.services.dispatch('keys.checkPassword', { certId: (await wapp.services.dispatch('certs.list', {}, { emit: () => undefined }) as { ok: true; value: { certs: { id: string; serialHex: string }[] } }).value.certs.find((c) => c.serialHex.toLowerCase().replace(/^0+/, '') === newSerial.replace(/^0+/, ''))!.id, password: NEW_PASSWORD }, { emit: () => undefined })
    expect(r).toMatchObject({ ok: true, value: { valid: true } })
  })
})
