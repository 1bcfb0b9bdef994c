import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, screen, test } from './helpers/app-host'

interface PlatformFont {
  familyName: string
  isCustomFont: boolean
  glyphCount: number
}

/**
 * The fonts Chromium used to draw the text of the first element matching `selector`, as the
 * DevTools protocol reports them (one entry per font, with how many glyphs it drew).
 */
async function fontsDrawing(page: Page, selector: string): Promise<PlatformFont[]> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('DOM.enable')
  await cdp.send('CSS.enable')
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 })
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector })
  expect(nodeId, `no element for ${selector}`).toBeGreaterThan(0)
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId })
  await cdp.detach()
  return fonts
}

test.describe('bundled Korean font', () => {
  test('draws every Hangul glyph with the bundled Noto Sans KR, whatever fonts the machine has', async ({ openApp, pageErrors }) => {
    const page = await openApp()
    await page.evaluate(() => document.fonts.ready)
    for (const selector of ['.brand-title', '[data-testid="cert-count"]', 'th']) {
      const fonts = await fontsDrawing(page, selector)
      // Only the bundled face, loaded by the page (a web font), draws these labels: no system
      // fallback (which on a machine without CJK fonts would draw boxes) takes any glyph.
      expect(fonts.length, `${selector}: ${JSON.stringify(fonts)}`).toBeGreaterThan(0)
      for (const f of fonts) {
        // The face's own name table says "Noto Sans KR Thin" (Fontsource cuts the subsets from the variable font).
        expect(f.familyName, selector).toMatch(/^Noto Sans KR/)
        expect(f.isCustomFont, selector).toBe(true)
      }
    }
    // The subsets come from the app's own files (the CSP allows nothing else).
    const fontUrls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('.woff')))
    expect(fontUrls.length).toBeGreaterThan(0)
    const origin = new URL(page.url()).origin
    for (const u of fontUrls) expect(u.startsWith(origin + '/') && u.endsWith('.woff2'), u).toBe(true)
    await screen(page, 'list-font')
    expect(pageErrors).toEqual([])
  })

  test('index.html preloads the slices the first screen draws, so its first layout has the face', async ({ openApp, pageErrors }) => {
    const page = await openApp()
    await page.evaluate(() => document.fonts.ready)
    const preloaded = await page.evaluate(() => [...document.querySelectorAll<HTMLLinkElement>('link[rel="preload"][as="font"]')].map((l) => l.href))
    expect(preloaded.length).toBeGreaterThan(1)
    // Every slice the first screen fetched was one of the preloaded ones: none was learned late.
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.woff2')))
    expect(fetched.length).toBeGreaterThan(0)
    for (const u of fetched) expect(preloaded, u).toContain(u)
    expect(pageErrors).toEqual([])
  })

  test('a name in rare syllables gets its font rules before the list first draws it, and is drawn by the bundled face', async ({ app, page, pageErrors }) => {
    // Only the first screen's slices are declared up front; a certificate whose owner is 똠햏뷁
    // (syllables of the rare group) must not be drawn by a system fallback (boxes here) first.
    const name = '똠햏뷁'
    const cn = `${name}()001234567890123456`
    const folder = join(app.roots[0]!, 'yessign', 'USER', `cn=${cn},ou=personal4IB,o=yessign,c=kr`)
    mkdirSync(folder, { recursive: true })
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(app.tmp, 'rare.key.pem'), '-utf8', '-subj', `/C=KR/O=yessign/OU=personal4IB/CN=${cn}`, '-days', '30', '-outform', 'DER', '-out', join(folder, 'signCert.der')], { stdio: 'ignore' })
    // When the owner cell enters the DOM (before any frame shows it): does a rule of the bundled
    // face cover each syllable?
    await page.addInitScript((wanted: string) => {
      const covered = (ch: string): boolean =>
        [...document.fonts].some(
          (f) =>
            f.family.replace(/["']/g, '') === 'Noto Sans KR' &&
            f.unicodeRange.split(',').some((r) => {
              const [lo, hi] = r.trim().replace(/^U\+/i, '').split('-')
              const p = ch.codePointAt(0)!
              return p >= parseInt(lo!, 16) && p <= parseInt(hi ?? lo!, 16)
            }),
        )
      new MutationObserver((_, obs) => {
        const cell = [...document.querySelectorAll('[data-testid="owner"]')].find((c) => c.textContent?.includes(wanted))
        if (!cell) return
        obs.disconnect()
        ;(window as unknown as { __coveredWhenInserted: boolean[] }).__coveredWhenInserted = [...wanted].map(covered)
      }).observe(document, { childList: true, subtree: true, characterData: true })
    }, name)
    await page.goto(app.url)
    const owner = page.getByTestId('owner').filter({ hasText: name })
    await expect(owner).toBeVisible()
    expect(await page.evaluate(() => (window as unknown as { __coveredWhenInserted?: boolean[] }).__coveredWhenInserted)).toEqual([true, true, true])
    await page.evaluate(() => document.fonts.ready)
    await owner.evaluate((el) => el.setAttribute('data-rare-name', ''))
    const fonts = await fontsDrawing(page, '[data-rare-name]')
    expect(fonts.length).toBeGreaterThan(0)
    for (const f of fonts) {
      expect(f.familyName).toMatch(/^Noto Sans KR/)
      expect(f.isCustomFont).toBe(true)
    }
    expect(pageErrors).toEqual([])
  })
})
