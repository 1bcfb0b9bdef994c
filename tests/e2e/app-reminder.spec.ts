import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { createAppServices, type AppServices } from '../../app/app-services'
import { encryptSignPri } from '../../core/formats/signpri'
import { startWebHost, type WebHost } from '../../electron/host/web-host'
import { SCREENS, STATIC_DIR } from './helpers/app-host'

// A certificate 10 days from expiry (made by openssl) must raise the expiry reminder when the
// app starts, and the reminder must lead to 갱신 with that certificate chosen.
let tmp: string
let services: AppServices
let host: WebHost
let prevRoots: string | undefined

test.beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'certmgr-remind-'))
  const key = join(tmp, 'key.pem')
  const cert = join(tmp, 'cert.der')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-days', '10', '-outform', 'DER', '-out', cert, '-subj', '/C=KR/O=yessign/OU=personal4IB/CN=김민지()0012345678901234', '-utf8', '-addext', 'certificatePolicies=1.2.410.200005.1.1.4'], { stdio: 'pipe' })
  const pkcs8 = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', key, '-outform', 'DER'])
  const folder = join(tmp, 'NPKI', 'yessign', 'USER', 'cn=김민지()0012345678901234,ou=personal4IB,o=yessign,c=kr')
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, 'signCert.der'), readFileSync(cert))
  writeFileSync(join(folder, 'signPri.key'), encryptSignPri(new Uint8Array(pkcs8), 'Minji!2026q'))
  prevRoots = process.env.CERTMGR_NPKI_ROOTS
  process.env.CERTMGR_NPKI_ROOTS = join(tmp, 'NPKI')
  services = await createAppServices({ dataDir: join(tmp, 'data'), host: 'web', version: 'test', watch: false })
  host = await startWebHost({ services, staticDir: STATIC_DIR })
})

test.afterAll(async () => {
  await host.close()
  await services.close()
  if (prevRoots === undefined) delete process.env.CERTMGR_NPKI_ROOTS
  else process.env.CERTMGR_NPKI_ROOTS = prevRoots
  rmSync(tmp, { recursive: true, force: true })
})

test('expiry reminder: shown at start for a certificate in the renewal window, and leads to 갱신', async ({ page }) => {
  await page.goto(host.url)
  const banner = page.getByTestId('reminder')
  await expect(banner).toContainText('김민지님의 인증서가')
  await expect(banner).toContainText('일 후 만료됩니다')
  await page.screenshot({ path: join(SCREENS, 'reminder-banner.png') })
  await banner.getByRole('button', { name: '갱신하기' }).click()
  const chosen = page.locator('[data-testid="select-cert"].chosen')
  await expect(chosen).toContainText('김민지')
  await expect(chosen).toHaveAttribute('data-state', 'renewable')
})
