import AxeBuilder from '@axe-core/playwright'
import { test as base, expect, type Page } from '@playwright/test'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createAppServices, type AppServices } from '../../../app/app-services'
import { startWebHost } from '../../../electron/host/web-host'
import type { RunningCenter } from '../../../center/center'
import { expectedCardResponse } from '../../../center/ra/card'
import { base32Decode, totp } from '../../../center/ra/totp'
import { FIXTURE_DN, PYPINKSIGN, STATIC_DIR, screen } from './app-host'
import { softHsm, type SoftHsm } from '../../helpers/softhsm'

export { expect, screen }

export const IDN = '9001011234568'
export const NAME = '홍길동'
export const PHONE = '010-1234-5678'
export const PASSWORD = 'Qwer!9a8s7d'

export interface WizardApp {
  url: string
  /** The NPKI root the host searches and 하드디스크 saves into. */
  root: string
  services: AppServices
  center: RunningCenter
  /** The private SoftHSM2 configuration the host sees (no tokens unless asked for). */
  hsm: SoftHsm
  /** Folders 폴더 열기 asked main to show, in order. */
  opened: string[]
  close(): Promise<void>
}

export interface WizardOptions {
  validityDays?: number
  fixture?: boolean
  /** SoftHSM2 tokens to initialise; none by default, so tokens of this machine never show. */
  tokens?: { label: string; pin: string }[]
  /**
   * Removable drives the host reports (a temp folder as each mount point); none by default, so
   * drives of this machine never show. The array is read on every drive scan: a test takes an
   * entry out to play the OS noticing that a stick was pulled, which in real life lags the pull.
   */
  drives?: { mountPoint: string; label: string }[]
}

export interface Customer {
  customerId: string
  account: string
  card?: { serial: string; slots: string[] }
  otpUri?: string
}

/**
 * The browser host in this process over a temp NPKI root and a real embedded center. A
 * validity of 20 days puts every new certificate inside the 30-day renewal window at once.
 */
export async function startWizardApp(opts: WizardOptions = {}): Promise<WizardApp> {
  if (!existsSync(join(STATIC_DIR, 'index.html'))) throw new Error(`${STATIC_DIR}/index.html is missing: run \`npx electron-vite build\` first`)
  const tmp = mkdtempSync(join(tmpdir(), 'certmgr-wiz-e2e-'))
  const root = join(tmp, 'NPKI')
  mkdirSync(root, { recursive: true })
  if (opts.fixture) {
    const fx = join(root, 'yessign', 'USER', FIXTURE_DN)
    mkdirSync(fx, { recursive: true })
    copyFileSync(join(PYPINKSIGN, 'signCert.der'), join(fx, 'signCert.der'))
    copyFileSync(join(PYPINKSIGN, 'signPri.key'), join(fx, 'signPri.key'))
  }
  const prevRoots = process.env.CERTMGR_NPKI_ROOTS
  process.env.CERTMGR_NPKI_ROOTS = root
  const hsm = softHsm(opts.tokens)
  const drives = opts.drives
  const driveList = drives ? { driveList: async () => drives.map((d) => ({ id: d.mountPoint, mountPoint: d.mountPoint, label: d.label, readOnly: false, kind: 'usb-stick' as const })) } : {}
  const opened: string[] = []
  const services = await createAppServices({
    dataDir: join(tmp, 'data'),
    host: 'web',
    version: 'test',
    reminders: false,
    centerOptions: { validityDays: opts.validityDays ?? 20 },
    openFolder: async (p) => void opened.push(p),
    ...driveList,
  })
  const host = await startWebHost({ services, staticDir: STATIC_DIR })
  return {
    url: host.url,
    root,
    services,
    center: services.embeddedCenter()!,
    hsm,
    opened,
    async close() {
      await host.close()
      await services.close()
      hsm.close()
      if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
      else process.env.CERTMGR_NPKI_ROOTS = prevRoots
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

/** Every certificate folder under the root (relative paths), to prove nothing was left behind. */
export function certFolders(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue
      const p = join(dir, e.name)
      if (existsSync(join(p, 'signCert.der')) || e.name.startsWith('.')) out.push(relative(root, p))
      else walk(p)
    }
  }
  walk(root)
  return out.sort()
}

export const test = base.extend<{ wizardOptions: WizardOptions; wapp: WizardApp; pageErrors: string[] }>({
  wizardOptions: [{}, { option: true }],
  wapp: async ({ wizardOptions }, use) => {
    const app = await startWizardApp(wizardOptions)
    await use(app)
    await app.close()
  },
  pageErrors: async ({ page }, use) => {
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await use(errors)
  },
})

export async function addCustomer(app: WizardApp, over: { medium?: 'card' | 'otp'; balanceKrw?: number; idn?: string; name?: string } = {}): Promise<Customer> {
  return app.center.ra.createCustomer({ name: over.name ?? NAME, idn: over.idn ?? IDN, phone: PHONE, medium: over.medium ?? 'card', ...(over.balanceKrw !== undefined ? { balanceKrw: over.balanceKrw } : {}) })
}

export function otpNow(customer: Customer, offsetSteps = 0): string {
  const secret = new URL(customer.otpUri!).searchParams.get('secret')!
  return totp(base32Decode(secret), Math.floor(Date.now() / 1000) + offsetSteps * 30)
}

export async function call<T>(app: WizardApp, name: string, req: unknown): Promise<T> {
  const r = await app.services.dispatch(name, req, { emit: () => undefined })
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error)
  return r.value as T
}

/** Issues a certificate through main's calls (no UI), as the setup of a renew/reissue/register test. */
export async function issueViaApi(app: WizardApp, customer: Customer, password = PASSWORD): Promise<{ certId: string; path: string; serialHex: string; notAfter: string }> {
  const { sessionId } = await call<{ sessionId: string }>(app, 'center.startSession', { name: NAME, idn: IDN, account: customer.account, purpose: 'issue' })
  await call(app, 'center.sendPhoneCode', { sessionId, channel: 'sms' })
  const code = await latestCode(app)
  await call(app, 'center.verifyPhone', { sessionId, code })
  const ch = await call<{ slots: [number, number] }>(app, 'center.mediumChallenge', { sessionId })
  await call(app, 'center.verifyMedium', { sessionId, response: expectedCardResponse(customer.card!, ch.slots) })
  return call(app, 'enroll.issue', { opId: `setup-${Date.now()}`, sessionId, certType: 'limited', destination: { kind: 'pc' }, password })
}

export async function latestCode(app: WizardApp): Promise<string> {
  const { messages } = await call<{ messages: { at: string; text: string }[] }>(app, 'center.outbox', {})
  const newest = [...messages].sort((a, b) => b.at.localeCompare(a.at))[0]
  return codeFrom(newest!.text)
}

/** The 6-digit code in an SMS ("인증번호 123456") or an ARS script ("인증번호는 1 2 3 4 5 6"). */
export function codeFrom(text: string): string {
  const m = text.match(/인증번호(?:는)?\s*((?:\d\s?){6})/)
  if (!m) throw new Error(`no code in: ${text}`)
  return m[1]!.replace(/\s/g, '')
}

/** Opens the app and waits for the first list. */
export async function openApp(page: Page, app: WizardApp): Promise<void> {
  await page.goto(app.url)
  await expect(page.getByTestId('cert-count')).toBeVisible()
}

/** No serious or critical axe violation on the current screen. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
  expect(bad, where).toEqual([])
}

/** Screenshot + accessibility check of the current wizard step. */
export async function checkpoint(page: Page, name: string): Promise<void> {
  await screen(page, name)
  await expectAccessible(page, name)
}

export async function next(page: Page): Promise<void> {
  const before = await page.locator('[data-step]').getAttribute('data-step')
  await page.getByTestId('wiz-next').click()
  await expect(page.locator('[data-step]')).not.toHaveAttribute('data-step', before!)
}

/** 본인 정보 step: fills and moves on (opens the RA session). */
export async function fillIdentity(page: Page, customer: Customer, name = NAME, idn = '900101-1234568'): Promise<void> {
  await expect(page.getByTestId('step-identity')).toBeVisible()
  await page.getByTestId('id-name').fill(name)
  await page.getByTestId('id-idn').fill(idn)
  await page.getByTestId('id-account').fill(customer.account)
}

/** 휴대폰 인증 through the 문자함 panel, as a user of the embedded center does it. */
export async function verifyPhone(page: Page, shot?: string): Promise<void> {
  await page.getByTestId('send-code').click()
  await expect(page.getByTestId('code-sent')).toBeVisible()
  await page.getByTestId('open-outbox').click()
  const msg = page.getByTestId('outbox-text').first()
  await expect(msg).toContainText('인증번호')
  if (shot) await checkpoint(page, shot)
  const code = codeFrom(await msg.innerText())
  await page.getByTestId('outbox-close').click()
  await page.getByTestId('phone-code').fill(code)
  await page.getByTestId('verify-code').click()
  await expect(page.getByTestId('phone-ok')).toBeVisible()
}

/** 보안카드: reads the slots asked for and types the half-codes. */
export async function answerCard(page: Page, customer: Customer): Promise<void> {
  const a = Number(await page.getByTestId('card-first').getAttribute('data-slot'))
  const b = Number(await page.getByTestId('card-second').getAttribute('data-slot'))
  const answer = expectedCardResponse(customer.card!, [a, b])
  await page.getByTestId('card-first').fill(answer.slice(0, 2))
  await page.getByTestId('card-second').fill(answer.slice(2))
  await page.getByTestId('verify-medium').click()
  await expect(page.getByTestId('medium-ok')).toBeVisible()
}

/** Starts recording renderer long tasks; read them back with `longTasks`. */
/** From the wizard's 준비물 안내 to its 보안 인증 step, the phone verified: 약관 동의 → 본인 정보 → 휴대폰 인증. */
export async function walkToMedium(page: Page, customer: Customer): Promise<void> {
  await next(page)
  await page.getByTestId('terms-all').check()
  await next(page)
  await fillIdentity(page, customer)
  await next(page)
  await verifyPhone(page)
}

/** 발급 from the menu up to the 인증서 종류 step with a security card customer. */
export async function walkIssueToType(page: Page, customer: Customer): Promise<void> {
  await page.getByTestId('nav-issue').click()
  await walkToMedium(page, customer)
  await answerCard(page, customer)
  await next(page)
}

/** On to the 저장 위치 step with 은행·신용카드·보험용 chosen. */
export async function walkIssueToLocation(page: Page, customer: Customer): Promise<void> {
  await walkIssueToType(page, customer)
  await page.getByTestId('type-limited').check()
  await next(page)
}

export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] }
    w.__longTasks = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration)
    }).observe({ type: 'longtask', buffered: false })
  })
}

export async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks)
}
