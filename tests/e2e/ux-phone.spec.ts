import { expect, screen, test } from './helpers/app-host'

test.describe('ux: phone copy', () => {
  test.use({ npkiTree: 'fixture' })

  test('ux: phone copy says 인증번호, with a short security notice and the full one a click away', async ({ openApp }) => {
    const page = await openApp()
    await page.getByTestId('nav-phone').click()
    const card = page.getByTestId('pc-send')
    const short = card.getByTestId('pc-threat-short')
    await expect(short).toContainText('공용 Wi-Fi(카페, 공항 등)에서는 사용하지 마세요.')
    await expect(short).toContainText('잠기면 취소하고 처음부터 다시 시작하세요')
    // The full threat model is one click away, not always on.
    const more = card.getByTestId('pc-threat-more')
    await expect(more).toHaveText('자세한 보안 설명')
    const full = card.getByTestId('pc-threat').locator('details p')
    await expect(full).toBeHidden()
    await more.click()
    await expect(full).toBeVisible()
    // The code is 인증번호, as users know it; the page names no "12자리 번호".
    await more.click()
    expect(await page.getByTestId('phone-copy').innerText()).not.toContain('12자리 번호')
    await screen(page, 'ux-phone-copy')
  })
})
