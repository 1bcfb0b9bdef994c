import { addCustomer, expect, next, openApp, screen, test } from './helpers/wizard-host'

test.describe('ux: forms', () => {
  test('ux: resident number masked', async ({ page, wapp }) => {
    const customer = await addCustomer(wapp)
    await openApp(page, wapp)
    // 고객 등록: 앞 6자리 in sight, then the focus moves to the masked 뒤 7자리.
    await page.getByTestId('nav-customer').click()
    await page.getByTestId('cust-idn').click()
    await page.keyboard.type('900101')
    await expect(page.getByTestId('cust-idn2')).toBeFocused()
    await page.keyboard.type('1234568')
    await expect(page.getByTestId('cust-idn')).toHaveValue('900101')
    await expect(page.getByTestId('cust-idn2')).toHaveAttribute('type', 'password')
    await page.getByTestId('cust-idn-show').click()
    await expect(page.getByTestId('cust-idn2')).toHaveAttribute('type', 'text')
    await expect(page.getByTestId('cust-idn2')).toHaveValue('1234568')
    await expect(page.getByTestId('cust-idn-show')).toHaveAttribute('aria-pressed', 'true')
    await page.getByTestId('cust-idn-show').click()
    await expect(page.getByTestId('cust-idn2')).toHaveAttribute('type', 'password')
    await screen(page, 'ux-customer-idn')

    // 본인 정보: a whole number pasted into the first field is split across both.
    await page.getByTestId('nav-issue').click()
    await next(page)
    await page.getByTestId('terms-all').check()
    await next(page)
    await page.getByTestId('id-name').fill('홍길동')
    await page.getByTestId('id-idn').fill('900101-1234568')
    await expect(page.getByTestId('id-idn')).toHaveValue('900101')
    await expect(page.getByTestId('id-idn2')).toHaveValue('1234568')
    await expect(page.getByTestId('id-idn2')).toHaveAttribute('type', 'password')
    await page.getByTestId('id-account').fill(customer.account)
    await screen(page, 'ux-identity-idn')
    // The number the center checks is the whole one: the session opens.
    await next(page)
    await expect(page.getByTestId('step-auth')).toBeVisible()
    // Nowhere on the page is the whole number in plain text.
    expect(await page.locator('body').innerText()).not.toContain('1234568')
  })
})
