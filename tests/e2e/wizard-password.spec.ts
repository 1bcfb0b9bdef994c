import { PASSWORD, addCustomer, checkpoint, expect, issueViaApi, openApp, test } from './helpers/wizard-host'

const NEW_PASSWORD = 'Pqmz#4k8j2w'

test.describe('password change', () => {
  test('password change: from the details panel, with the rule checked live', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    const cert = await issueViaApi(wapp, customer)
    await openApp(page, wapp)
    await page.getByTestId('cert-row').click()
    const details = page.getByRole('dialog', { name: '인증서 정보' })
    await details.getByTestId('action-checkPassword').click()
    await details.getByTestId('pw-current').fill(PASSWORD)
    for (const [pw, rule, text] of [
      ['short1!', 'length', '10자 이상 64자 이하로 정해 주세요.'],
      ['Pqmz#4k8j2w"', 'forbidden-char', '작은따옴표, 큰따옴표, 역슬래시, 세로줄 문자와 공백, 한글은 쓸 수 없습니다.'],
      ['Pqmz4k8j2ww', 'special', '특수문자를 하나 이상 넣어 주세요.'],
    ] as const) {
      await details.getByTestId('pw-new').fill(pw)
      await expect(details.getByTestId('pw-rule')).toHaveText(text)
      await expect(details.getByTestId('pw-rule-list').locator(`[data-rule="${rule}"]`)).toHaveAttribute('data-state', 'bad')
      await expect(details.getByTestId('pw-change')).toBeDisabled()
    }
    await details.getByTestId('pw-new').fill(NEW_PASSWORD)
    await expect(details.getByTestId('pw-rule')).toHaveText('비밀번호 규칙에 맞습니다.')
    await details.getByTestId('pw-again').fill(NEW_PASSWORD)
    await checkpoint(page, 'wizard-password-01-change')
    await details.getByTestId('pw-change').click()
    await expect(details.getByTestId('pw-result')).toContainText('비밀번호를 변경했습니다.')
    await checkpoint(page, 'wizard-password-02-changed')
    const check = async (password: string) => {
      const r = await wapp.services.dispatch('keys.checkPassword', { certId: cert.certId, password }, { emit: () => undefined })
      return r.ok ? (r.value as { valid: boolean }).valid : undefined
    }
    expect(await check(NEW_PASSWORD)).toBe(true)
    expect(await check(PASSWORD)).toBe(false)
  })
})
