import AxeBuilder from '@axe-core/playwright'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CORRUPT_DN, NO_KEY_DN, PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const FIXTURE_PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
const FIXTURE_SHA256 = createHash('sha256').update(readFileSync(join(PYPINKSIGN, 'signCert.der'))).digest('hex')

/** The rows of the list, found by what users see rather than by position. */
const fixtureRow = (page: import('@playwright/test').Page) => page.getByTestId('cert-row').filter({ has: page.locator('[data-state="expired"]') })

test.describe('certificate list', () => {
  test('shows the fixture with the bank-window columns', async ({ openApp, pageErrors }) => {
    const page = await openApp()
    await expect(page).toHaveTitle('공동인증서 매니저')
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko')
    const headers = page.getByRole('columnheader')
    await expect(headers).toHaveText(['구분', '사용자', '만료일', '발급자', '상태', '위치'])
    const row = fixtureRow(page)
    await expect(row).toHaveCount(1)
    await expect(row.getByTestId('kind-badge')).toHaveText('은행·신용카드·보험용')
    await expect(row.getByTestId('owner')).toHaveText('HKD')
    await expect(row.getByTestId('expiry')).toHaveText('2020-03-25')
    await expect(row.getByTestId('issuer')).toHaveText('yessign')
    await expect(row.getByTestId('state-badge')).toContainText('만료')
    await expect(row.getByTestId('location')).toHaveText('하드디스크')
    await screen(page, 'list-ko')
    expect(pageErrors).toEqual([])
  })

  test('lists damaged folders with their reasons without breaking the list', async ({ openApp }) => {
    const page = await openApp()
    await expect(page.getByTestId('cert-row')).toHaveCount(3)
    const damaged = page.getByTestId('cert-row').filter({ has: page.locator('[data-state="damaged"]') })
    await expect(damaged).toHaveCount(2)
    const corrupt = damaged.filter({ hasText: CORRUPT_DN })
    await expect(corrupt.getByTestId('damaged-reason')).toHaveText('인증서 파일(signCert.der)이 손상되었습니다')
    const noKey = damaged.filter({ hasText: NO_KEY_DN })
    await expect(noKey.getByTestId('damaged-reason')).toHaveText('개인키 파일(signPri.key)이 없습니다')
    await expect(fixtureRow(page)).toHaveCount(1)
    await expect(page.getByTestId('error')).toHaveCount(0)
  })

  test('opens the details with the keyboard and shows what the certificate says', async ({ openApp }) => {
    const page = await openApp()
    const row = fixtureRow(page)
    await row.focus()
    await page.keyboard.press('Enter')
    const details = page.getByRole('dialog', { name: '인증서 정보' })
    await expect(details).toBeVisible()
    // The technical rows are folded under 자세히, below the actions.
    await expect(details.getByTestId('d-serial')).toBeHidden()
    await details.getByTestId('details-more-toggle').click()
    await expect(details.getByTestId('d-serial')).toHaveText('45 9c 75')
    expect((await details.getByTestId('d-serial').innerText()).replace(/\s/g, '')).toBe('459c75')
    await expect(details.getByTestId('d-policy')).toContainText('은행·신용카드·보험용')
    await expect(details.getByTestId('d-policy')).toContainText('1.2.410.200005.1.1.4')
    await expect(details.getByTestId('d-key')).toHaveText('RSA 2048비트')
    await expect(details.getByTestId('d-subject')).toContainText('cn=HKD(KILDONG.HONG)')
    await expect(details.getByTestId('d-issuer')).toContainText('yessignCA-Test Class 4')
    await expect(details.getByTestId('d-vid')).toHaveText('있음')
    const fp = await details.getByTestId('d-sha256-value').innerText()
    const flat = fp.replace(/\s/g, '')
    expect(flat).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(flat.replace(/:/g, '').toLowerCase()).toBe(FIXTURE_SHA256)
    // keys.* and the storage actions are all wired to calls in the contract.
    for (const a of ['checkPassword', 'verifyIdentity', 'copyTo', 'move', 'delete', 'exportPfx']) await expect(details.getByTestId(`action-${a}`)).toBeEnabled()
    await screen(page, 'details')
    await details.getByTestId('details-actions').scrollIntoViewIfNeeded()
    await screen(page, 'details-actions')
    await page.keyboard.press('Escape')
    await expect(details).toHaveCount(0)
    await expect(row).toBeFocused()
  })

  test('checks and changes the certificate password, and verifies identity, through keys.*', async ({ openApp }) => {
    const page = await openApp()
    await fixtureRow(page).click()
    const details = page.getByRole('dialog')
    await details.getByTestId('action-checkPassword').click()
    const pw = details.getByTestId('password-panel')
    await pw.getByTestId('pw-current').fill('not-the-password')
    await pw.getByTestId('pw-check').click()
    await expect(pw.getByTestId('error')).toHaveText('인증서 비밀번호가 맞지 않습니다. 다시 입력해 주세요.')
    await pw.getByTestId('pw-current').fill(FIXTURE_PASSWORD)
    await pw.getByTestId('pw-check').click()
    await expect(pw.getByTestId('pw-result')).toHaveText('비밀번호가 맞습니다.')
    await pw.getByTestId('pw-new').fill('Zq9!x7k2m#')
    await pw.getByTestId('pw-again').fill('Zq9!x7k2m#')
    await pw.getByTestId('pw-change').click()
    await expect(pw.getByTestId('pw-result')).toContainText('비밀번호를 변경했습니다')
    await pw.getByTestId('pw-current').fill('Zq9!x7k2m#')
    await pw.getByTestId('pw-check').click()
    await expect(pw.getByTestId('pw-result')).toHaveText('비밀번호가 맞습니다.')
    await pw.getByTestId('pw-new').fill('short')
    await expect(pw.getByTestId('pw-rule')).toHaveText('10자 이상 64자 이하로 정해 주세요.')
    await pw.scrollIntoViewIfNeeded()
    await screen(page, 'details-password')

    await details.getByTestId('action-verifyIdentity').click()
    const id = details.getByTestId('identity-panel')
    await id.getByTestId('id-password').fill('Zq9!x7k2m#')
    await id.getByTestId('id-idn').fill('800101-1234567')
    await id.getByTestId('id-verify').click()
    // The fixture's owner is not this made-up number, and its VID says so.
    await expect(id.getByTestId('id-result')).toHaveAttribute('data-result', 'mismatch')
    await id.scrollIntoViewIfNeeded()
    await screen(page, 'details-identity')
  })

  // An expired certificate is replaced by 재발급 (issue 16: 만료 → 재발급, as in the bank's flow).
  test('an expired certificate points to a reissue', async ({ openApp }) => {
    const page = await openApp()
    await fixtureRow(page).click()
    const next = page.getByRole('dialog').getByTestId('details-next')
    await expect(next).toContainText('만료된 인증서는 갱신할 수 없습니다')
    await next.getByRole('button', { name: '재발급하기' }).click()
    await expect(page.getByRole('dialog')).toHaveCount(0)
    await expect(page.getByTestId('nav-reissue')).toHaveAttribute('aria-current', 'page')
  })

  test('arrow keys move the selection', async ({ openApp }) => {
    const page = await openApp()
    const rows = page.getByTestId('cert-row')
    await rows.first().focus()
    await page.keyboard.press('ArrowDown')
    await expect(rows.nth(1)).toBeFocused()
    await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('End')
    await expect(rows.nth(2)).toBeFocused()
    await page.keyboard.press('ArrowUp')
    await expect(rows.nth(1)).toBeFocused()
    await page.keyboard.press(' ')
    await expect(page.getByRole('dialog')).toBeVisible()
    // Focus starts on the close button and Tab stays inside the dialog.
    await expect(page.getByTestId('details-close')).toBeFocused()
    // Shift+Tab from the first control wraps to the dialog's last one (whichever action that is),
    // once the details (and with them the actions) have loaded.
    await expect(page.getByTestId('details-more-toggle')).toBeVisible()
    await page.keyboard.press('Shift+Tab')
    await expect(page.getByTestId('details-close')).not.toBeFocused()
    expect(await page.evaluate(() => document.activeElement?.closest('[role="dialog"]') != null)).toBe(true)
    await page.keyboard.press('Tab')
    await expect(page.getByTestId('details-close')).toBeFocused()
  })

  test('switches to English and back, and remembers the choice', async ({ openApp }) => {
    const page = await openApp()
    const saved = page.waitForResponse((r) => r.url().includes('/api/call/settings.set'))
    await page.getByTestId('lang-en').click()
    await saved
    await expect(page.locator('html')).toHaveAttribute('lang', 'en')
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Certificates')
    await expect(page.getByRole('columnheader')).toHaveText(['Type', 'Owner', 'Expires', 'Issuer', 'State', 'Location'])
    await expect(fixtureRow(page).getByTestId('kind-badge')).toHaveText('Banking/Card/Insurance')
    await expect(fixtureRow(page).getByTestId('state-badge')).toContainText('Expired')
    await screen(page, 'list-en')
    await fixtureRow(page).click()
    await expect(page.getByRole('dialog', { name: 'Certificate details' }).getByTestId('d-key')).toHaveText('RSA 2048 bits')
    await screen(page, 'details-en')
    await page.keyboard.press('Escape')
    // Saved through settings.set: a reload comes back in English.
    await page.reload()
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Certificates')
    await page.getByTestId('nav-settings').click()
    await page.getByTestId('settings-lang-ko').check()
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('설정')
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko')
    await page.getByTestId('nav-list').click()
    await expect(page.getByRole('columnheader').first()).toHaveText('구분')
  })

  test('hide expired hides the fixture and says so; the choice is saved', async ({ openApp }) => {
    const page = await openApp()
    // The filter applies at once; the choice is saved in the background, so wait for the save
    // before reloading.
    const saved = page.waitForResponse((r) => r.url().includes('/api/call/settings.set'))
    await page.getByLabel('만료된 인증서 숨기기').check()
    await saved
    await expect(fixtureRow(page)).toHaveCount(0)
    await expect(page.getByTestId('cert-row')).toHaveCount(2)
    await expect(page.getByTestId('hidden-note')).toContainText('만료된 인증서 1개를 숨겼습니다')
    await page.reload()
    await expect(page.getByLabel('만료된 인증서 숨기기')).toBeChecked()
    await expect(fixtureRow(page)).toHaveCount(0)
    await page.getByLabel('만료된 인증서 숨기기').uncheck()
    await expect(fixtureRow(page)).toHaveCount(1)
  })

  test('passes an accessibility scan of the list and the details', async ({ openApp }) => {
    const page = await openApp()
    const scan = async () => (await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze()).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
    expect(await scan()).toEqual([])
    await fixtureRow(page).click()
    await expect(page.getByRole('dialog')).toBeVisible()
    expect(await scan()).toEqual([])
  })

  test('the other screens: phone copy, the wizards and settings open', async ({ openApp }) => {
    const page = await openApp()
    await page.getByTestId('nav-phone').click()
    await expect(page.getByTestId('nav-phone')).toHaveAttribute('aria-current', 'page')
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('휴대폰 복사')
    await expect(page.getByTestId('phone-copy')).toBeVisible()
    await screen(page, 'phone')
    // The certificate wizards have their own end-to-end tests (wizard-*); here only that each opens.
    for (const view of ['issue', 'reissue', 'renew'] as const) {
      await page.getByTestId(`nav-${view}`).click()
      await expect(page.getByTestId(`nav-${view}`)).toHaveAttribute('aria-current', 'page')
      await expect(page.getByTestId(`wizard-${view}`)).toBeVisible()
      await screen(page, view)
    }
    await page.getByTestId('nav-settings').click()
    await expect(page.getByTestId('app-version')).toHaveText('test')
    await page.getByTestId('new-root-advanced').click()
    await page.getByTestId('new-root').fill('/media/usb/NPKI')
    await page.getByTestId('add-root').click()
    await expect(page.getByTestId('extra-roots')).toContainText('/media/usb/NPKI')
    await screen(page, 'settings')
    // Main's refusals of a field's value are said next to that field, not as the general sentence.
    await page.getByTestId('new-root').fill('media/usb/certs')
    await page.getByTestId('add-root').click()
    await expect(page.getByTestId('root-error')).toContainText('NPKI 폴더만 추가할 수 있습니다')
    await expect(page.getByTestId('new-root')).toHaveAttribute('aria-invalid', 'true')
    await screen(page, 'settings-not-npki')
    await page.getByTestId('center-url').fill('http://center.example.com')
    await page.getByTestId('save-center').click()
    await page.getByTestId('center-confirm-yes').click()
    await expect(page.getByTestId('center-error')).toHaveText('인증센터 주소는 https://로 시작해야 합니다. http://는 이 컴퓨터의 주소(localhost, 127.0.0.1)에만 쓸 수 있습니다.')
    await expect(page.getByTestId('root-error')).toHaveCount(0)
    await expect(page.getByTestId('center-url')).toHaveAttribute('aria-invalid', 'true')
    await expect(page.getByTestId('center-url')).toHaveValue('http://center.example.com')
    await expect(page.getByTestId('error')).toHaveCount(0)
    await screen(page, 'settings-center-url')
  })
})

test.describe('filtered and empty states', () => {
  test.describe('only an expired certificate', () => {
    test.use({ npkiTree: 'fixture' })
    test('hiding it shows the filtered empty state', async ({ openApp }) => {
      const page = await openApp()
      await page.getByLabel('만료된 인증서 숨기기').check()
      const empty = page.getByTestId('empty-state')
      await expect(empty).toHaveAttribute('data-filtered', 'true')
      await expect(empty).toContainText('표시할 인증서가 없습니다')
      await screen(page, 'filtered')
      await empty.getByTestId('show-all').click()
      await expect(fixtureRow(page)).toHaveCount(1)
    })
  })

  test.describe('no certificates', () => {
    test.use({ npkiTree: 'empty' })
    test('lists the searched roots and what to do', async ({ openApp, app }) => {
      const page = await openApp()
      const empty = page.getByTestId('empty-state')
      await expect(empty).toHaveAttribute('data-filtered', 'false')
      await expect(empty.getByRole('heading', { level: 2 })).toHaveText('인증서를 찾지 못했습니다')
      const items = empty.getByTestId('searched-roots').getByRole('listitem')
      await expect(items).toHaveCount(app.roots.length)
      await expect(items.nth(0)).toContainText(app.roots[0]!)
      await expect(items.nth(0)).toContainText('폴더 있음')
      await expect(items.nth(1)).toContainText(app.roots[1]!)
      await expect(items.nth(1)).toContainText('폴더 없음')
      await expect(empty).toContainText('USB')
      await expect(empty).toContainText('PFX')
      await screen(page, 'empty')
    })
  })
})

test.describe('a long list', () => {
  for (const height of [800, 1200]) {
    test(`its first frame reaches the bottom of a ${height} px window, and every row follows`, async ({ app, page }) => {
      // 80 certificate folders (copies of the fixture) beside the tree's three: more than any window shows.
      for (let i = 0; i < 80; i++) {
        const folder = join(app.roots[0]!, 'yessign', 'USER', `cn=user${i}()00${i},ou=long,o=yessign,c=kr`)
        mkdirSync(folder, { recursive: true })
        copyFileSync(join(PYPINKSIGN, 'signCert.der'), join(folder, 'signCert.der'))
        copyFileSync(join(PYPINKSIGN, 'signPri.key'), join(folder, 'signPri.key'))
      }
      await page.setViewportSize({ width: 1280, height })
      // When the list enters the DOM (the rows its first frame holds): where the last row ends.
      await page.addInitScript(() => {
        new MutationObserver((_, obs) => {
          if (!document.querySelector('[data-testid="cert-count"]')) return
          obs.disconnect()
          const rows = document.querySelectorAll('[data-testid="cert-row"]')
          ;(window as unknown as { __firstFrame: { rows: number; lastBottom: number } }).__firstFrame = {
            rows: rows.length,
            lastBottom: rows[rows.length - 1]!.getBoundingClientRect().bottom,
          }
        }).observe(document, { childList: true, subtree: true })
      })
      await page.goto(app.url)
      await expect(page.getByTestId('cert-row')).toHaveCount(83)
      const first = await page.evaluate(() => (window as unknown as { __firstFrame: { rows: number; lastBottom: number } }).__firstFrame)
      expect(first.rows).toBeLessThan(83)
      expect(first.lastBottom).toBeGreaterThanOrEqual(height)
    })
  }
})

test.describe('API guards of the browser host', () => {
  test('a call without the secret is refused', async ({ app, request }) => {
    const res = await request.post(`${app.origin}/api/call/certs.list`, { headers: { origin: app.origin }, data: {} })
    expect(res.status()).toBe(403)
    expect((await res.json()).error.code).toBe('FORBIDDEN')
  })

  test('a call from a foreign origin is refused even with the secret', async ({ app, request }) => {
    const res = await request.post(`${app.origin}/api/call/certs.list`, { headers: { origin: 'http://evil.example', 'x-certmgr-secret': app.secret }, data: {} })
    expect(res.status()).toBe(403)
    expect((await res.json()).error.code).toBe('FORBIDDEN')
  })

  test('the same call with the secret and the app origin is answered', async ({ app, request }) => {
    const res = await request.post(`${app.origin}/api/call/certs.list`, { headers: { origin: app.origin, 'x-certmgr-secret': app.secret }, data: {} })
    expect(res.status()).toBe(200)
    const body = await res.json()
    expect(body.ok).toBe(true)
    expect(body.value.certs).toHaveLength(3)
  })
})
