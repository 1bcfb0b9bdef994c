/**
 * Choosing files without typing paths, through the browser host: the app's own picker (over
 * main's places), drag and drop on the window, and 폴더 열기's honest fallback.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { FIXTURE_DN, PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
const rows = (page: Page) => page.getByTestId('cert-row')

/** A home folder of the test's own (the picker's first place), with a Documents folder. */
function useHome(tmp: string): { home: string; restore(): void } {
  const home = join(tmp, 'home')
  mkdirSync(join(home, 'Documents'), { recursive: true })
  const prev = process.env.HOME
  process.env.HOME = home
  return { home, restore: () => (prev === undefined ? delete process.env.HOME : (process.env.HOME = prev)) }
}

test.describe('picker', () => {
  test.describe('export', () => {
    test.use({ npkiTree: 'fixture' })
    test('picker: exports a PFX into a folder chosen in the picker, no path typed', async ({ openApp, app, pageErrors }) => {
      const { home, restore } = useHome(app.tmp)
      try {
        const page = await openApp()
        await rows(page).first().click()
        const details = page.getByRole('dialog', { name: '인증서 정보' })
        await details.getByTestId('action-exportPfx').click()
        const panel = details.getByTestId('export-panel')
        await panel.getByTestId('pfx-password').fill(PASSWORD)
        await expect(panel.getByTestId('pfx-next')).toBeDisabled()
        await panel.getByTestId('pfx-out-pick').click()
        const picker = page.getByRole('dialog', { name: 'PFX 파일을 저장할 곳' })
        await expect(picker).toBeVisible()
        await expect(picker.getByTestId('picker-dir')).toHaveText(home)
        await picker.getByTestId('picker-entry').filter({ hasText: 'Documents' }).click()
        await expect(picker.getByTestId('picker-dir')).toHaveText(join(home, 'Documents'))
        await expect(picker.getByTestId('picker-name')).toHaveValue('HKD.pfx')
        await screen(page, 'picker-save')
        await picker.getByTestId('picker-save').click()
        await expect(picker).toHaveCount(0)
        const out = join(home, 'Documents', 'HKD.pfx')
        await expect(panel.getByTestId('pfx-out-chosen')).toContainText(out)
        // The typed path stays folded away as the advanced option; nothing was typed into it.
        await expect(panel.getByTestId('pfx-out')).toBeHidden()
        await panel.getByTestId('pfx-next').click()
        await panel.getByTestId('pfx-run').click()
        await expect(panel.getByTestId('pfx-done')).toContainText('HKD.pfx')
        expect(existsSync(out)).toBe(true)
        execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PASSWORD}`], { stdio: 'ignore' })
        expect(pageErrors).toEqual([])
      } finally {
        restore()
      }
    })

    test('폴더 열기 in the browser host says where the folder is instead of pretending', async ({ openApp, app }) => {
      const page = await openApp()
      await rows(page).first().click()
      const details = page.getByRole('dialog', { name: '인증서 정보' })
      await details.getByTestId('reveal-folder').click()
      await expect(details.getByTestId('reveal-note')).toContainText('브라우저에서는 파일 관리자를 열 수 없습니다')
      await expect(details.getByTestId('reveal-note')).toContainText(app.roots[0]!)
    })
  })

  test.describe('import', () => {
    test.use({ npkiTree: 'empty' })
    test('picker: imports a PFX chosen in the picker, which lists folders and PFX files only', async ({ openApp, app }) => {
      const { home, restore } = useHome(app.tmp)
      try {
        copyFileSync(join(PYPINKSIGN, 'test.pfx'), join(home, 'Documents', 'test.pfx'))
        copyFileSync(join(PYPINKSIGN, 'password.txt'), join(home, 'Documents', 'password.txt'))
        const page = await openApp()
        await expect(rows(page)).toHaveCount(0)
        await page.getByTestId('loc-tab-file').click()
        const panel = page.getByTestId('file-panel')
        await panel.getByTestId('pfx-pick').click()
        const picker = page.getByRole('dialog', { name: 'PFX 파일 선택' })
        await expect(picker).toBeVisible()
        await picker.getByTestId('picker-place').filter({ hasText: '내 폴더' }).click()
        await picker.getByTestId('picker-entry').filter({ hasText: 'Documents' }).click()
        await expect(picker.getByTestId('picker-entry')).toHaveText([/test\.pfx/])
        await screen(page, 'picker-open')
        await picker.getByTestId('picker-entry').filter({ hasText: 'test.pfx' }).click()
        await expect(picker).toHaveCount(0)
        await expect(panel.getByTestId('pfx-chosen')).toContainText('test.pfx')
        await expect(panel.getByTestId('pfx-chosen-path')).toContainText(join(home, 'Documents', 'test.pfx'))
        await expect(panel.getByTestId('pfx-path')).toBeHidden()
        await panel.getByTestId('pfx-import-password').fill(PASSWORD)
        await panel.getByTestId('pfx-import').click()
        await expect(page.getByTestId('loc-notice')).toContainText('가져왔습니다')
        await page.getByTestId('loc-tab-pc').click()
        await expect(rows(page)).toHaveCount(1)
        await expect(rows(page).getByTestId('owner')).toHaveText('HKD')
      } finally {
        restore()
      }
    })
  })
})

test.describe('drag and drop', () => {
  test.use({ npkiTree: 'empty' })

  /** Drops a file with these bytes on the certificate list, as a file manager would. */
  async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
    await page.evaluate(
      ({ name, b64 }) => {
        const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
        const dt = new DataTransfer()
        dt.items.add(new File([data], name, { type: 'application/x-pkcs12' }))
        const target = document.querySelector('main')!
        target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }))
        target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }))
      },
      { name, b64: bytes.toString('base64') },
    )
  }

  test('drag and drop: a PFX dropped on the window opens the import and is imported', async ({ openApp, pageErrors }) => {
    const page = await openApp()
    await expect(rows(page)).toHaveCount(0)
    // From another screen: the drop brings the user to the import view.
    await page.getByTestId('nav-settings').click()
    await dropFile(page, 'dropped.pfx', readFileSync(join(PYPINKSIGN, 'test.pfx')))
    const panel = page.getByTestId('file-panel')
    await expect(panel).toBeVisible()
    await expect(page.getByTestId('loc-tab-file')).toHaveAttribute('aria-selected', 'true')
    await expect(panel.getByTestId('pfx-chosen')).toContainText('dropped.pfx')
    await panel.getByTestId('pfx-import-password').fill(PASSWORD)
    await screen(page, 'drop-import')
    await panel.getByTestId('pfx-import').click()
    await expect(page.getByTestId('loc-notice')).toContainText('가져왔습니다')
    await page.getByTestId('loc-tab-pc').click()
    await expect(rows(page)).toHaveCount(1)
    await expect(rows(page).getByTestId('owner')).toHaveText('HKD')
    expect(pageErrors).toEqual([])
  })

  /**
   * Drops a folder as a file manager would: Chromium hands the page a File for the folder and a
   * directory entry through DataTransferItem.webkitGetAsEntry. A synthetic DataTransfer cannot
   * hold a real directory, so the entry the page reads is built here over real File objects.
   */
  async function dropFolder(page: Page, name: string, files: Record<string, Buffer>): Promise<void> {
    await page.evaluate(
      ({ name, files }) => {
        const fileEntries = Object.entries(files).map(([n, b64]) => {
          const file = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n)
          return { isFile: true, isDirectory: false, name: n, file: (ok: (f: File) => void) => ok(file) }
        })
        let served = false
        const dir = {
          isFile: false,
          isDirectory: true,
          name,
          createReader: () => ({
            readEntries: (ok: (e: unknown[]) => void) => {
              const batch = served ? [] : fileEntries
              served = true
              ok(batch)
            },
          }),
        }
        const proto = DataTransferItem.prototype as unknown as { webkitGetAsEntry: () => unknown }
        const real = proto.webkitGetAsEntry
        proto.webkitGetAsEntry = function () {
          return dir
        }
        try {
          const dt = new DataTransfer()
          dt.items.add(new File([], name))
          const target = document.querySelector('main')!
          target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }))
          target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }))
        } finally {
          proto.webkitGetAsEntry = real
        }
      },
      { name, files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, b.toString('base64')])) },
    )
  }

  test('drag and drop: a certificate folder dropped on the window is copied where the user chooses', async ({ openApp, app, pageErrors }) => {
    const page = await openApp()
    await expect(rows(page)).toHaveCount(0)
    const folder = { 'signCert.der': readFileSync(join(PYPINKSIGN, 'signCert.der')), 'signPri.key': readFileSync(join(PYPINKSIGN, 'signPri.key')) }
    // Into each of the two PC roots in turn: the certificate is then listed twice.
    for (const [i, root] of app.roots.entries()) {
      await page.getByTestId('nav-settings').click()
      await dropFolder(page, 'HKD', folder)
      const dialog = page.getByRole('dialog', { name: '이 인증서를 어디에 복사할까요?' })
      await expect(dialog).toBeVisible()
      await expect(dialog.getByTestId('drop-owner')).toHaveText('HKD')
      await expect(dialog.getByTestId('drop-issuer')).not.toBeEmpty()
      await expect(dialog.getByTestId('drop-expiry')).not.toBeEmpty()
      await dialog.getByTestId('drop-dest').selectOption({ label: `하드디스크 (${root})` })
      if (i === 0) await screen(page, 'drop-folder')
      await dialog.getByTestId('drop-copy').click()
      await expect(dialog).toHaveCount(0)
      await expect(page.getByTestId('loc-notice')).toContainText('인증서를 복사했습니다')
      await expect(rows(page)).toHaveCount(i + 1)
      // The key file is written as it was dropped (still encrypted), byte for byte.
      expect(readFileSync(join(root, 'yessign', 'USER', FIXTURE_DN, 'signPri.key'))).toEqual(folder['signPri.key'])
    }
    await expect(rows(page).getByTestId('owner')).toHaveText(['HKD', 'HKD'])
    expect(pageErrors).toEqual([])
  })

  test('drag and drop: a folder without signPri.key is refused in words, nothing is copied', async ({ openApp }) => {
    const page = await openApp()
    await dropFolder(page, 'half', { 'signCert.der': readFileSync(join(PYPINKSIGN, 'signCert.der')) })
    const dialog = page.getByRole('dialog', { name: '이 인증서를 어디에 복사할까요?' })
    await expect(dialog.getByTestId('error')).toContainText('signPri.key')
    await expect(dialog.getByTestId('drop-copy')).toBeDisabled()
    await dialog.getByTestId('drop-cancel').click()
    await expect(rows(page)).toHaveCount(0)
  })

  test('drag and drop: a file that is not a PFX is refused with a sentence, nothing opens', async ({ openApp }) => {
    const page = await openApp()
    await dropFile(page, 'notes.txt', Buffer.from('hello'))
    await expect(page.getByTestId('drop-not-pfx')).toContainText('PFX(.pfx, .p12)가 아닙니다')
    await expect(page.getByTestId('file-panel')).toHaveCount(0)
  })
})
