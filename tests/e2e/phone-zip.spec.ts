/**
 * Phone → PC with what a phone has: the NPKI folder as one zip. The real phone page in
 * Chromium (Pixel 7 emulation) sends a zip made by Python's zipfile (not our code) to the
 * listener in this process; the PC unpacks it and stores it through storeReceived.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect, test } from '@playwright/test'
import { buildPhonePage } from '../../core/transfer/build-page'
import { startReceiveSession, type ListenerOptions } from '../../core/transfer/listener'
import { storeReceived } from '../../core/transfer/files'
import { openSignKey } from '../../core/formats/signpri'

const ROOT = resolve(import.meta.dirname, '../..')
const FIX = resolve(ROOT, '../shared/fixtures/pypinksign')
const SHOTS = resolve(ROOT, 'test-results/phone')
const cert = readFileSync(resolve(FIX, 'signCert.der'))
const key = readFileSync(resolve(FIX, 'signPri.key'))
const password = readFileSync(resolve(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')

let pageDir = ''
let work = ''
test.beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'phone-zip-'))
  pageDir = await buildPhonePage(join(work, 'phone'))
})
test.afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

function opts(): ListenerOptions {
  return { host: '127.0.0.1', urlHost: 'phone.certmgr.test', pageDir, retryBaseMs: 100 }
}

/** A deflated zip written by Python: entries are [name in zip, source file]. */
function pyZip(out: string, entries: [string, string][]): Buffer {
  const py = `import zipfile,sys,json\nwith zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED) as z:\n  for n,p in json.loads(sys.argv[2]): z.write(p,n)`
  execFileSync('python3', ['-c', py, out, JSON.stringify(entries)])
  return readFileSync(out)
}

test('phone copy: phone → PC sends the NPKI folder as a zip and the PC stores the certificate', async ({ page }) => {
  const folder = 'cn=홍길동()0001234567890123'
  const zip = pyZip(join(work, 'npki.zip'), [
    [`${folder}/signCert.der`, resolve(FIX, 'signCert.der')],
    [`${folder}/signPri.key`, resolve(FIX, 'signPri.key')],
  ])
  const s = await startReceiveSession(opts())
  try {
    await page.goto(s.url)
    await page.getByTestId('lang').click()
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko')
    await expect(page.getByText('PC 화면에 보이는 인증번호')).toBeVisible()
    await page.getByTestId('code-input').fill(s.code)
    await page.getByTestId('pfx-file').setInputFiles({ name: 'NPKI.zip', mimeType: 'application/zip', buffer: zip })
    await page.screenshot({ path: join(SHOTS, 'phone-to-pc-zip-form-ko.png'), fullPage: true })
    await page.getByTestId('send').click()
    await expect(page.getByTestId('done')).toBeVisible()
    const r = await s.result
    expect(r.format).toBe('npki')
    expect(r.files.map((f) => f.name).sort()).toEqual(['signCert.der', 'signPri.key'])
    const root = join(work, 'store')
    const stored = await storeReceived(r, password, root)
    const names = readdirSync(stored.path).sort()
    expect(names).toEqual(['signCert.der', 'signPri.key'])
    const savedCert = readFileSync(join(stored.path, 'signCert.der'))
    const savedKey = readFileSync(join(stored.path, 'signPri.key'))
    expect(Buffer.compare(savedCert, cert)).toBe(0)
    expect(Buffer.compare(savedKey, key)).toBe(0)
    expect(openSignKey(savedCert, savedKey, password).randomNum?.length).toBe(20)
  } finally {
    s.cancel()
  }
})

test('phone copy: a zip with a path traversal entry is refused with a one-line reason', async ({ page }) => {
  const zip = pyZip(join(work, 'evil.zip'), [
    ['../signCert.der', resolve(FIX, 'signCert.der')],
    ['signPri.key', resolve(FIX, 'signPri.key')],
  ])
  const s = await startReceiveSession(opts())
  try {
    await page.goto(s.url)
    await page.getByTestId('code-input').fill(s.code)
    await page.getByTestId('pfx-file').setInputFiles({ name: 'evil.zip', mimeType: 'application/zip', buffer: zip })
    await page.getByTestId('send').click()
    await expect(page.getByTestId('error')).toHaveText('The PC could not read the files: the zip is refused: unsafe path "../signCert.der"')
    expect(s.state()).not.toBe('received')
  } finally {
    s.cancel()
  }
})
