/**
 * Finding 2 of the desktop security review, through the window: importing a hostile PFX is
 * refused within 2 s with a sentence naming the limit, and the page has no long task over
 * 100 ms meanwhile (PerformanceObserver 'longtask'), while the key derivation is bounded and
 * off the main thread. Browser host, real services, Debian's Chromium.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { hostilePfx } from '../security/hostile-pfx'
import { expect, screen, test } from './helpers/app-host'

declare global {
  interface Window {
    longTasks?: number[]
  }
}

async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.longTasks = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks!.push(e.duration)
    }).observe({ type: 'longtask' })
  })
}

test.describe('security: a hostile PFX', () => {
  test.use({ npkiTree: 'empty' })

  for (const [name, file, reason, limitText] of [
    ['too many bags', hostilePfx({ bags: 60, bagIterations: 900_000 }), 'pfx-work-limit', '4,000,000'],
    ['too many iterations', hostilePfx({ bags: 1, bagIterations: 9_000_000 }), 'pfx-iteration-limit', '1,000,000'],
  ] as const) {
    test(`security finding 2: ${name} is refused within 2 s, naming the limit, with no long task in the page`, async ({ openApp, app }) => {
      const path = join(app.tmp, `hostile-${reason}.pfx`)
      writeFileSync(path, file)
      const page = await openApp()
      await page.getByTestId('loc-tab-file').click()
      const panel = page.getByTestId('file-panel')
      // The browser's file input hands main the file's bytes (the typed path is a folded
      // advanced option): the same reader, with the same limits, as a path.
      await panel.getByTestId('pfx-file').setInputFiles(path)
      await panel.getByTestId('pfx-import-password').fill('any-password-1!')
      await watchLongTasks(page)
      const started = Date.now()
      await panel.getByTestId('pfx-import').click()
      const error = panel.getByTestId('error')
      await expect(error).toHaveAttribute('data-reason', reason, { timeout: 10_000 })
      expect(Date.now() - started).toBeLessThan(2000)
      await expect(error).toContainText(limitText)
      await screen(page, `security-hostile-pfx-${reason}`)
      const long = await page.evaluate(() => window.longTasks ?? [])
      expect(long.filter((d) => d > 100)).toEqual([])
    })
  }
})
