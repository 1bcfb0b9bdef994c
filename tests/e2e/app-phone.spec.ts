/**
 * 휴대폰 복사 through the app's screens, with the transfer engineer's phone page opened from the
 * session URL in a second page acting as the phone. The listener runs in this process on
 * 127.0.0.1; its URL names phone.certmgr.test, which Chromium maps to 127.0.0.1, so the phone
 * page runs on a non-loopback origin as on a LAN.
 */
import AxeBuilder from '@axe-core/playwright'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devices, type Browser, type Page } from '@playwright/test'
import { buildPhonePage } from '../../core/transfer/build-page'
import { setTransferListenerDefaults } from '../../app/transfer/handlers'
import { PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
let work = ''

test.beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'app-phone-'))
  const pageDir = await buildPhonePage(join(work, 'phone'))
  setTransferListenerDefaults({ host: '127.0.0.1', urlHost: 'phone.certmgr.test', pageDir, retryBaseMs: 100 })
})
test.afterAll(() => {
  setTransferListenerDefaults({})
  if (work) rmSync(work, { recursive: true, force: true })
})

async function phonePage(browser: Browser, url: string): Promise<Page> {
  const ctx = await browser.newContext({ ...devices['Pixel 7'], acceptDownloads: true })
  const phone = await ctx.newPage()
  await phone.goto(url)
  return phone
}

async function openPhoneCopy(page: Page): Promise<void> {
  await page.getByTestId('nav-phone').click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('휴대폰 복사')
}

test.describe('phone copy in the app: receive', () => {
  test.use({ npkiTree: 'empty' })

  test('휴대폰에서 가져오기: QR code and number, the phone sends the NPKI pair, the app stores it', async ({ openApp, browser, app }) => {
    const page = await openApp()
    await expect(page.getByTestId('cert-row')).toHaveCount(0)
    await openPhoneCopy(page)
    await screen(page, 'phone-copy')
    await page.getByTestId('pc-recv-start').click()
    const code = page.getByTestId('pc-code')
    await expect(code).toHaveText(/^\d{4}-\d{4}-\d{4}$/)
    await expect(page.getByTestId('pc-qr')).toHaveAttribute('src', /^data:image\/svg\+xml;/)
    await expect(page.getByTestId('pc-countdown')).toContainText(/[45]:\d\d/)
    const url = (await page.getByTestId('pc-url').innerText()).trim()
    expect(url).toMatch(/^http:\/\/phone\.certmgr\.test:\d+\/s\//)
    await screen(page, 'phone-receive-code')
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze()
    expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])

    const phone = await phonePage(browser, url)
    try {
      await phone.getByTestId('code-input').fill((await code.getAttribute('data-code')) ?? '')
      await phone.locator('#fmt-npki').check()
      await phone.getByTestId('cert-file').setInputFiles(join(PYPINKSIGN, 'signCert.der'))
      await phone.getByTestId('key-file').setInputFiles(join(PYPINKSIGN, 'signPri.key'))
      await phone.getByTestId('send').click()
      await expect(phone.getByTestId('done')).toBeVisible()
    } finally {
      await phone.context().close()
    }

    const got = page.getByTestId('pc-received')
    await expect(got).toBeVisible()
    await expect(got.getByTestId('pc-r-owner')).toContainText('HKD')
    await expect(got.getByTestId('pc-r-expiry')).toHaveText('2020-03-25')
    await expect(got.getByTestId('pc-r-root')).toHaveValue(`pc:${app.roots[0]}`)
    await got.getByTestId('pc-r-password').fill('not-the-password')
    await got.getByTestId('pc-r-save').click()
    await expect(got.getByTestId('error')).toHaveAttribute('data-code', 'WRONG_PASSWORD')
    await got.getByTestId('pc-r-password').fill(PASSWORD)
    await screen(page, 'phone-received')
    await got.getByTestId('pc-r-save').click()
    // Where it went, in words (issue 16: no raw paths in notices); 폴더 열기 has the folder.
    await expect(page.getByTestId('pc-saved')).toContainText('하드디스크 · HKD · yessign')
    await expect(page.getByTestId('pc-saved')).not.toContainText(app.roots[0]!)
    await screen(page, 'phone-saved')
    await page.getByTestId('nav-list').click()
    await expect(page.getByTestId('cert-row')).toHaveCount(1)
    await expect(page.getByTestId('cert-row').getByTestId('owner')).toHaveText('HKD')
  })
})

test.describe('phone copy in the app: send', () => {
  test.use({ npkiTree: 'fixture' })

  test('휴대폰으로 내보내기: the number from the phone completes the transfer and the PFX opens', async ({ openApp, browser, app }) => {
    const page = await openApp()
    await openPhoneCopy(page)
    const card = page.getByTestId('pc-send')
    await expect(card.getByTestId('pc-threat')).toContainText('인증번호로 한 번 더 암호화')
    await card.getByTestId('pc-password').fill(PASSWORD)
    await card.getByTestId('pc-send-start').click()
    await expect(card.getByTestId('pc-qr')).toBeVisible()
    const url = (await card.getByTestId('pc-url').innerText()).trim()
    await screen(page, 'phone-send-qr')

    const phone = await phonePage(browser, url)
    try {
      const shown = phone.getByTestId('code')
      await expect(shown).toBeVisible()
      const digits = (await shown.getAttribute('aria-label')) ?? ''
      expect(digits).toMatch(/^\d{12}$/)
      await card.getByTestId('pc-code-input').fill(digits)
      await expect(card.getByTestId('pc-code-input')).toHaveValue(`${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8)}`)
      await card.getByTestId('pc-code-submit').click()
      await expect(card.getByTestId('pc-sent')).toBeVisible()
      await screen(page, 'phone-send-done')
      await expect(phone.getByTestId('done')).toBeVisible()
      const [download] = await Promise.all([phone.waitForEvent('download'), phone.getByTestId('save').click()])
      const saved = join(app.tmp, 'from-phone.pfx')
      await download.saveAs(saved)
      execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', saved, '-passin', `pass:${PASSWORD}`], { stdio: 'ignore' })
    } finally {
      await phone.context().close()
    }
  })

  test('a wrong number three times locks the session and warns that someone may be guessing', async ({ openApp, browser }) => {
    const page = await openApp()
    await openPhoneCopy(page)
    const card = page.getByTestId('pc-send')
    await card.getByTestId('pc-format-npki').check()
    // The folder as it is carries the key too: nothing starts before the password (finding 7).
    await expect(card.getByTestId('pc-send-start')).toBeDisabled()
    await card.getByTestId('pc-password').fill(PASSWORD)
    await card.getByTestId('pc-send-start').click()
    const url = (await card.getByTestId('pc-url').innerText()).trim()
    const phone = await phonePage(browser, url)
    try {
      const digits = (await phone.getByTestId('code').getAttribute('aria-label')) ?? ''
      const wrong = digits.slice(0, 11) + String((Number(digits[11]) + 1) % 10)
      for (const left of [2, 1]) {
        await card.getByTestId('pc-code-input').fill(wrong)
        await card.getByTestId('pc-code-submit').click()
        await expect(card.getByTestId('pc-wrong')).toContainText(`남은 기회는 ${left}번`)
        await expect(card.getByTestId('pc-code-submit')).toBeDisabled()
      }
      await screen(page, 'phone-wrong-number')
      await card.getByTestId('pc-code-input').fill(wrong)
      await card.getByTestId('pc-code-submit').click()
      const end = card.getByTestId('pc-end')
      await expect(end).toHaveAttribute('data-end', 'locked')
      await expect(end).toContainText('누군가 번호를 추측하고 있을 수 있습니다')
      await screen(page, 'phone-locked')
    } finally {
      await phone.context().close()
    }
  })
})
