import { PASSWORD, addCustomer, expect, issueViaApi, openApp, screen, test } from './helpers/wizard-host'

const NEW_PASSWORD = 'Pqmz#4k8j2w'

test.describe('ux: password', () => {
  test('ux: password change from the menu', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    const cert = await issueViaApi(wapp, customer)
    await openApp(page, wapp)
    await page.getByTestId('nav-password').click()
    const view = page.getByTestId('password-view')
    await expect(view.getByRole('heading', { level: 1 })).toHaveText('인증서 비밀번호 변경')
    // First the certificate, then 현재 / 새 / 새 비밀번호 확인.
    await expect(view.getByTestId('pw-current')).toHaveCount(0)
    await view.getByTestId('pwv-cert').filter({ hasText: '홍길동' }).locator('input').check()
    const labels = await view.locator('[data-testid="password-panel"] label').allInnerTexts()
    expect(labels).toEqual(['현재 비밀번호', '새 비밀번호', '새 비밀번호 확인'])
    await expect(view).not.toContainText('위에 입력한 뒤')
    await view.getByTestId('pw-current').fill(PASSWORD)
    await view.getByTestId('pw-new').fill(NEW_PASSWORD)
    await view.getByTestId('pw-again').fill(NEW_PASSWORD)
    await screen(page, 'ux-password-menu')
    await view.getByTestId('pw-change').click()
    await expect(view.getByTestId('pw-result')).toContainText('비밀번호를 변경했습니다.')
    const r = await wapp.services.dispatch('keys.checkPassword', { certId: cert.certId, password: NEW_PASSWORD }, { emit: () => undefined })
    expect(r.ok && (r.value as { valid: boolean }).valid).toBe(true)
  })

  test('ux: the details drawer puts its actions first and folds the technical rows under 자세히', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    await issueViaApi(wapp, customer)
    await openApp(page, wapp)
    await page.getByTestId('cert-row').click()
    const details = page.getByRole('dialog', { name: '인증서 정보' })
    const actions = details.getByTestId('details-actions')
    const more = details.getByTestId('details-more')
    await expect(actions).toBeVisible()
    await expect(details.getByTestId('action-checkPassword')).toHaveText('비밀번호 변경')
    // The actions come before the facts; the DN, serial and fingerprint wait under 자세히.
    const [aTop, mTop] = await Promise.all([actions.boundingBox(), more.boundingBox()])
    expect(aTop!.y).toBeLessThan(mTop!.y)
    await expect(details.getByTestId('d-subject')).toBeHidden()
    await expect(details.getByTestId('d-sha256')).toBeHidden()
    await expect(details.getByTestId('d-validity')).toBeVisible()
    await screen(page, 'ux-details-drawer')
    await details.getByTestId('details-more-toggle').click()
    await expect(details.getByTestId('d-subject')).toBeVisible()
  })
})
