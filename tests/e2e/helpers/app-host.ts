import { test as base, expect, type Page } from '@playwright/test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { createAppServices } from '../../../app/app-services'
import { startWebHost } from '../../../electron/host/web-host'

export const REPO = resolve(import.meta.dirname, '../../..')
export const FIXTURES = resolve(REPO, '../shared/fixtures')
export const PYPINKSIGN = join(FIXTURES, 'pypinksign')
export const STATIC_DIR = join(REPO, 'out/renderer')
export const SCREENS = join(REPO, 'test-results/screens')

/** The PyPinkSign certificate's folder, named as NPKI software names it (NPKI.md §1). */
export const FIXTURE_DN = 'cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr'
export const CORRUPT_DN = 'cn=corrupt()0012345678901234,ou=KICA,o=KICA,c=kr'
export const NO_KEY_DN = 'cn=nokey()0012345678901234,ou=personal4IB,o=yessign,c=kr'

/**
 * Which NPKI tree a test gets:
 * - 'full': the fixture plus a folder with a corrupt signCert.der and one without signPri.key;
 * - 'fixture': only the fixture (expired), for the filtered empty state;
 * - 'empty': an existing but empty NPKI folder plus one that does not exist.
 */
export type NpkiTree = 'full' | 'fixture' | 'empty'

export interface AppHost {
  /** The page URL, carrying the per-run secret in its fragment. */
  url: string
  origin: string
  secret: string
  /** Every root the host searches (CERTMGR_NPKI_ROOTS). */
  roots: string[]
  tmp: string
  close(): Promise<void>
}

function buildTree(tmp: string, tree: NpkiTree): string[] {
  const npki = join(tmp, 'NPKI')
  mkdirSync(npki, { recursive: true })
  if (tree === 'empty') return [npki, join(tmp, 'missing', 'NPKI')]
  const fx = join(npki, 'yessign', 'USER', FIXTURE_DN)
  mkdirSync(fx, { recursive: true })
  copyFileSync(join(PYPINKSIGN, 'signCert.der'), join(fx, 'signCert.der'))
  copyFileSync(join(PYPINKSIGN, 'signPri.key'), join(fx, 'signPri.key'))
  if (tree === 'full') {
    const corrupt = join(npki, 'KICA', 'User', CORRUPT_DN)
    mkdirSync(corrupt, { recursive: true })
    writeFileSync(join(corrupt, 'signCert.der'), Buffer.from('30820122not a certificate at all', 'utf8'))
    copyFileSync(join(PYPINKSIGN, 'signPri.key'), join(corrupt, 'signPri.key'))
    const noKey = join(npki, 'yessign', 'USER', NO_KEY_DN)
    mkdirSync(noKey, { recursive: true })
    copyFileSync(join(PYPINKSIGN, 'signCert.der'), join(noKey, 'signCert.der'))
  }
  return [npki]
}

/**
 * Starts the browser host in this process with the same services Electron uses, over a temp
 * data folder and a temp NPKI tree. Builds nothing: `out/renderer` must exist
 * (`npx electron-vite build`; the test runner builds before Playwright).
 */
export async function startApp(tree: NpkiTree = 'full'): Promise<AppHost> {
  if (!existsSync(join(STATIC_DIR, 'index.html'))) throw new Error(`${STATIC_DIR}/index.html is missing: run \`npx electron-vite build\` first`)
  const tmp = mkdtempSync(join(tmpdir(), 'certmgr-e2e-'))
  const roots = buildTree(tmp, tree)
  const prevRoots = process.env.CERTMGR_NPKI_ROOTS
  // Read on every certs.list call; Playwright runs one test at a time here (workers: 1).
  process.env.CERTMGR_NPKI_ROOTS = roots.join(delimiter)
  const services = await createAppServices({ dataDir: join(tmp, 'data'), host: 'web', version: 'test' })
  const host = await startWebHost({ services, staticDir: STATIC_DIR })
  return {
    url: host.url,
    origin: host.origin,
    secret: host.secret,
    roots,
    tmp,
    async close() {
      await host.close()
      await services.close()
      if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
      else process.env.CERTMGR_NPKI_ROOTS = prevRoots
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

/** A test with `app` (a running host over `npkiTree`) and `openApp()` that loads it and waits for the first list. */
export const test = base.extend<{ npkiTree: NpkiTree; app: AppHost; openApp: () => Promise<Page>; pageErrors: string[] }>({
  npkiTree: ['full', { option: true }],
  app: async ({ npkiTree }, use) => {
    const app = await startApp(npkiTree)
    await use(app)
    await app.close()
  },
  /** Console errors and uncaught exceptions of the page (a CSP violation shows up here). */
  pageErrors: async ({ page }, use) => {
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    page.on('pageerror', (e) => errors.push(e.message))
    await use(errors)
  },
  openApp: async ({ app, page, pageErrors: _errors }, use) => {
    await use(async () => {
      await page.goto(app.url)
      await expect(page.getByTestId('cert-count')).toBeVisible()
      return page
    })
  },
})

export { expect }

/** Saves a screenshot of the whole page to test-results/screens/<name>.png. */
export async function screen(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true })
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })
}
