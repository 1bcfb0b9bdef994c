/**
 * Findings 3 and 4 of the desktop security review, through the window: a PFX password of its
 * own gets the rule-by-rule feedback of a certificate password, and an existing file is
 * replaced only after the user confirms (the old file is untouched until then).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PYPINKSIGN, expect, screen, test } from './helpers/app-host'

const PASSWORD = readFileSync(join(PYPINKSIGN, 'password.txt'), 'utf8').trim()
const PFX_PASSWORD = 'Pfx#only-2468'

test.describe('security: PFX export', () => {
  test.use({ npkiTree: 'fixture' })

  test('security findings 3 and 4: the PFX password rule, then a confirmation before replacing a file', async ({ openApp, app }) => {
    const out = join(app.tmp, 'hkd.pfx')
    writeFileSync(out, 'an older file the user keeps')
    const page = await openApp()
    await page.getByTestId('cert-row').first().click()
    const details = page.getByRole('dialog', { name: '인증서 정보' })
    await details.getByTestId('action-exportPfx').click()
    const panel = details.getByTestId('export-panel')
    await panel.getByTestId('pfx-password').fill(PASSWORD)
    await panel.getByTestId('pfx-own').check()
    await panel.getByTestId('pfx-pfx-password').fill('1')
    await panel.getByTestId('pfx-pfx-again').fill('1')
    // The typed path is a folded advanced option (the picker is the normal way).
    await panel.getByTestId('pfx-out-advanced').click()
    await panel.getByTestId('pfx-out').fill(out)
    await expect(panel.getByTestId('pw-rule')).toHaveAttribute('data-rule', 'length')
    await expect(panel.getByTestId('pfx-next')).toBeDisabled()
    await panel.scrollIntoViewIfNeeded()
    await screen(page, 'security-pfx-password-rule')
    await panel.getByTestId('pfx-pfx-password').fill(PFX_PASSWORD)
    await panel.getByTestId('pfx-pfx-again').fill(PFX_PASSWORD)
    await expect(panel.getByTestId('pw-rule')).toHaveAttribute('data-rule', 'ok')
    await panel.getByTestId('pfx-next').click()
    await panel.getByTestId('pfx-run').click()
    await expect(panel.getByTestId('pfx-exists')).toContainText('이미 있습니다')
    expect(readFileSync(out, 'utf8')).toBe('an older file the user keeps')
    await screen(page, 'security-pfx-overwrite-confirm')
    await panel.getByTestId('pfx-overwrite').click()
    // The notice names the file in words; the whole path is its title.
    await expect(panel.getByTestId('pfx-done')).toContainText('hkd.pfx')
    await expect(panel.getByTestId('pfx-done').locator('p').first()).toHaveAttribute('title', out)
    execFileSync('/usr/bin/openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', `pass:${PFX_PASSWORD}`], { stdio: 'ignore' })
  })
})
