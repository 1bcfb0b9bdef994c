/**
 * Phone copy end to end: the real phone page in Chromium (Pixel 7 emulation) against the
 * listener running in this test process. The listener binds 127.0.0.1 only; the page is
 * opened as http://phone.certmgr.test:<port>, a name Chromium maps to 127.0.0.1, so the page
 * runs on a non-loopback origin (no secure context, no crypto.subtle) as on a real LAN.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { buildPhonePage } from '../../core/transfer/build-page'
import { startReceiveSession, startSendSession, type ListenerOptions } from '../../core/transfer/listener'
import { openSignKey } from '../../core/formats/signpri'

const ROOT = resolve(import.meta.dirname, '../..')
const FIX = resolve(ROOT, '../shared/fixtures/pypinksign')
const SHOTS = resolve(ROOT, 'test-results/phone')
const cert = readFileSync(resolve(FIX, 'signCert.der'))
const key = readFileSync(resolve(FIX, 'signPri.key'))
const pfx = readFileSync(resolve(FIX, 'test.pfx'))
const password = readFileSync(resolve(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')

let pageDir = ''
let work = ''
test.beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phone-e2e-'))
  pageDir = await buildPhonePage(join(work, 'phone'))
})
test.afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

function opts<T extends object = object>(extra: T = {} as T): ListenerOptions & T {
  return { host: '127.0.0.1', urlHost: 'phone.certmgr.test', pageDir, retryBaseMs: 100, ...extra }
}

async function shownCode(page: Page): Promise<string> {
  const el = page.getByTestId('code')
  await expect(el).toBeVisible()
  return (await el.getAttribute('aria-label')) ?? ''
}

async function assertInsecureOrigin(page: Page): Promise<void> {
  // A string expression: this file is type-checked without the DOM library.
  const env = (await page.evaluate('({ subtle: typeof crypto.subtle, secure: self.isSecureContext, origin: self.location.origin })')) as { subtle: string; secure: boolean; origin: string }
  expect(env.origin).toMatch(/^http:\/\/phone\.certmgr\.test:\d+$/)
  expect(env.secure).toBe(false)
  expect(env.subtle).toBe('undefined')
}

test('phone copy: PC → phone delivers the PFX intact on a non-secure origin', async ({ page }) => {
  const s = await startSendSession(opts({ files: [{ name: 'certificate.pfx', data: new Uint8Array(pfx) }], format: 'pfx' }))
  try {
    await page.goto(s.url)
    await assertInsecureOrigin(page)
    const code = await shownCode(page)
    expect(code).toMatch(/^\d{12}$/)
    await expect(page.getByTestId('code')).toHaveText(`${code.slice(0, 4)}${code.slice(4, 8)}${code.slice(8)}`)
    await page.screenshot({ path: join(SHOTS, 'pc-to-phone-code.png'), fullPage: true })
    expect(await s.submitCode(code)).toEqual({ ok: true })
    await expect(page.getByTestId('done')).toBeVisible()
    await page.screenshot({ path: join(SHOTS, 'pc-to-phone-received.png'), fullPage: true })
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()])
    expect(download.suggestedFilename()).toBe('certificate.pfx')
    const saved = readFileSync((await download.path()) ?? '')
    expect(Buffer.compare(saved, pfx)).toBe(0)
    await s.done
  } finally {
    s.cancel()
  }
})

test('phone copy: PC → phone saves the NPKI folder as a zip another tool can open', async ({ page }) => {
  const s = await startSendSession(
    opts({ files: [{ name: 'signCert.der', data: new Uint8Array(cert) }, { name: 'signPri.key', data: new Uint8Array(key) }], format: 'npki' }),
  )
  try {
    await page.goto(s.url)
    // The browser says English; the toggle switches to Korean.
    await expect(page.locator('html')).toHaveAttribute('lang', 'en')
    await page.getByTestId('lang').click()
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko')
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('이 인증번호를 PC에 입력하세요')
    await page.screenshot({ path: join(SHOTS, 'pc-to-phone-code-ko.png'), fullPage: true })
    const code = await shownCode(page)
    expect(await s.submitCode(code)).toEqual({ ok: true })
    await expect(page.getByTestId('done')).toBeVisible()
    await page.screenshot({ path: join(SHOTS, 'pc-to-phone-received-ko.png'), fullPage: true })
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()])
    expect(download.suggestedFilename()).toBe('NPKI-certificate.zip')
    const zipPath = join(work, 'npki.zip')
    writeFileSync(zipPath, readFileSync((await download.path()) ?? ''))
    // Python's zipfile (CRC-checked), not our writer, reads it back.
    const py = `import zipfile,sys,hashlib\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor n in sorted(z.namelist()): print(n, hashlib.sha256(z.read(n)).hexdigest())`
    const out = execFileSync('python3', ['-c', py, zipPath], { encoding: 'utf8' })
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
    expect(out.trim().split('\n')).toEqual([`signCert.der ${sha(cert)}`, `signPri.key ${sha(key)}`])
  } finally {
    s.cancel()
  }
})

test('phone copy: phone → PC sends the NPKI pair and the key opens with its password', async ({ page }) => {
  const s = await startReceiveSession(opts())
  try {
    await page.goto(s.url)
    await assertInsecureOrigin(page)
    await page.getByTestId('code-input').fill(s.code)
    await page.locator('#fmt-npki').check()
    await page.getByTestId('cert-file').setInputFiles({ name: 'signCert.der', mimeType: 'application/octet-stream', buffer: cert })
    await page.getByTestId('key-file').setInputFiles({ name: 'signPri.key', mimeType: 'application/octet-stream', buffer: key })
    await expect(page.getByTestId('code-input')).toHaveValue(`${s.code.slice(0, 4)}-${s.code.slice(4, 8)}-${s.code.slice(8)}`)
    await page.screenshot({ path: join(SHOTS, 'phone-to-pc-form.png'), fullPage: true })
    await page.getByTestId('send').click()
    await expect(page.getByTestId('done')).toBeVisible()
    await page.screenshot({ path: join(SHOTS, 'phone-to-pc-sent.png'), fullPage: true })
    const r = await s.result
    expect(r.format).toBe('npki')
    const gotCert = r.files.find((f) => f.name === 'signCert.der')?.data
    const gotKey = r.files.find((f) => f.name === 'signPri.key')?.data
    expect(Buffer.compare(Buffer.from(gotCert ?? []), cert)).toBe(0)
    expect(Buffer.compare(Buffer.from(gotKey ?? []), key)).toBe(0)
    const opened = openSignKey(gotCert!, gotKey!, password)
    expect(opened.randomNum?.length).toBe(20)
  } finally {
    s.cancel()
  }
})

test('phone copy: a wrong number three times locks the session', async ({ page }) => {
  const s = await startReceiveSession(opts())
  const wrong = s.code.slice(0, 11) + String((Number(s.code[11]) + 1) % 10)
  try {
    await page.goto(s.url)
    await page.getByTestId('pfx-file').setInputFiles({ name: 'mine.pfx', mimeType: 'application/x-pkcs12', buffer: pfx })
    for (const left of [2, 1]) {
      await page.getByTestId('code-input').fill(wrong)
      await page.getByTestId('send').click()
      await expect(page.getByTestId('error')).toContainText(String(left))
    }
    await page.screenshot({ path: join(SHOTS, 'wrong-number.png'), fullPage: true })
    await page.getByTestId('code-input').fill(wrong)
    await page.getByTestId('send').click()
    await expect(page.getByTestId('end-title')).toHaveAttribute('data-end', 'locked')
    await page.screenshot({ path: join(SHOTS, 'locked.png'), fullPage: true })
    await expect(s.result).rejects.toMatchObject({ params: { state: 'locked' } })
    expect(s.state()).toBe('locked')
    // The right number no longer helps: the listener is gone.
    await expect(page.request.post(s.url + '/api/hello', { data: {} })).rejects.toThrow()
  } finally {
    s.cancel()
  }
})

test('phone copy: wrong numbers typed on the PC show on the phone and lock it', async ({ page }) => {
  const s = await startSendSession(opts({ files: [{ name: 'certificate.pfx', data: new Uint8Array(pfx) }], format: 'pfx' }))
  try {
    await page.goto(s.url)
    const code = await shownCode(page)
    const wrong = code.slice(0, 11) + String((Number(code[11]) + 1) % 10)
    expect(await s.submitCode(wrong)).toMatchObject({ ok: false, failuresLeft: 2 })
    await expect(page.getByTestId('error')).toContainText('2')
    expect(await s.submitCode(wrong)).toMatchObject({ ok: false, failuresLeft: 1 })
    expect(await s.submitCode(wrong)).toMatchObject({ ok: false, locked: true })
    await expect(page.getByTestId('end-title')).toHaveAttribute('data-end', /locked|ended/)
    await expect(s.done).rejects.toMatchObject({ params: { state: 'locked' } })
  } finally {
    s.cancel()
  }
})

test('phone copy: an expired session refuses', async ({ page }) => {
  const s = await startReceiveSession(opts({ ttlMs: 2500 }))
  try {
    await page.goto(s.url)
    await expect(page.getByTestId('code-input')).toBeVisible()
    await expect(s.result).rejects.toMatchObject({ params: { state: 'expired' } })
    await expect(page.getByTestId('end-title')).toHaveAttribute('data-end', 'expired', { timeout: 5000 })
    await page.screenshot({ path: join(SHOTS, 'expired.png'), fullPage: true })
    // After expiry the listener is closed: the number no longer works at all.
    await page.waitForTimeout(100)
    await expect(page.request.post(s.url + '/api/hello', { data: {} })).rejects.toThrow()
  } finally {
    s.cancel()
  }
})

test('phone copy: requests without the token get 404', async ({ page }) => {
  const s = await startReceiveSession(opts())
  try {
    const u = new URL(s.url)
    const token = u.pathname.split('/')[2] ?? ''
    for (const p of ['/', '/s/', `/s/${'A'.repeat(token.length)}`, `/s/${token.slice(1)}`, `/s/${'x'}/api/hello`, '/index.html']) {
      const res = await page.goto(u.origin + p)
      expect(res?.status(), p).toBe(404)
    }
    const ok = await page.goto(s.url)
    expect(ok?.status()).toBe(200)
  } finally {
    s.cancel()
  }
})

test('phone copy: an oversized upload is refused', async ({ page }) => {
  const s = await startReceiveSession(opts())
  try {
    await page.goto(s.url)
    await page.getByTestId('code-input').fill(s.code)
    await page.getByTestId('pfx-file').setInputFiles({ name: 'big.pfx', mimeType: 'application/x-pkcs12', buffer: Buffer.alloc(300 * 1024, 1) })
    await page.getByTestId('send').click()
    await expect(page.getByTestId('error')).toBeVisible()
    // The listener refuses too, whatever the page checks.
    const status = await page.evaluate(async () => {
      const r = await fetch('api/upload', { method: 'POST', body: new Uint8Array(400 * 1024) })
      return r.status
    })
    expect(status).toBe(413)
    // The session survives and the real files still go through.
    await page.getByTestId('pfx-file').setInputFiles({ name: 'mine.pfx', mimeType: 'application/x-pkcs12', buffer: pfx })
    await page.getByTestId('send').click()
    await expect(page.getByTestId('done')).toBeVisible()
    expect(Buffer.compare(Buffer.from((await s.result).files[0]?.data ?? []), pfx)).toBe(0)
  } finally {
    s.cancel()
  }
})

test('phone copy: 1,000 junk requests during a session do not stop the real transfer', async ({ page }) => {
  const s = await startSendSession(opts({ files: [{ name: 'certificate.pfx', data: new Uint8Array(pfx) }], format: 'pfx' }))
  const port = Number(new URL(s.url).port)
  let sent = 0
  const statuses = new Map<string, number>()
  // Bounded: 1,000 requests, at most 40 in flight, loopback only, each with a 5 s cap.
  const junk = async () => {
    while (sent < 1000) {
      sent++
      const path = `/s/${Math.random().toString(36).slice(2)}/api/hello`
      const status = await new Promise<string>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method: sent % 2 ? 'GET' : 'POST', timeout: 5000, agent: false }, (res) => {
          res.resume()
          res.on('end', () => resolve(String(res.statusCode)))
        })
        req.on('timeout', () => req.destroy())
        req.on('error', () => resolve('refused'))
        req.end()
      })
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }
  try {
    const flood = Promise.all(Array.from({ length: 40 }, junk))
    await page.goto(s.url)
    const code = await shownCode(page)
    expect(await s.submitCode(code)).toEqual({ ok: true })
    await expect(page.getByTestId('done')).toBeVisible()
    await flood
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()])
    expect(Buffer.compare(readFileSync((await download.path()) ?? ''), pfx)).toBe(0)
    const total = [...statuses.values()].reduce((a, b) => a + b, 0)
    expect(total).toBe(1000)
    // Every junk request was turned away (404 or dropped connection), none was served.
    expect([...statuses.keys()].every((k) => k === '404' || k === 'refused')).toBe(true)
  } finally {
    s.cancel()
  }
})
