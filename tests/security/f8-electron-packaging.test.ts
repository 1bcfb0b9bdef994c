import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// Finding 8 of the desktop security review: the packaged app must not give file:// pages the
// extra privileges Electron grants them by default, and the threat model must say what the
// asar integrity check leaves out.
const ROOT = resolve(import.meta.dirname, '../..')
const yml = readFileSync(resolve(ROOT, 'electron-builder.yml'), 'utf8')

describe('finding 8: Electron packaging', () => {
  it('sets the grantFileProtocolExtraPrivileges fuse to false', () => {
    const fuses = yml.slice(yml.indexOf('electronFuses:'))
    expect(fuses).toMatch(/^\s+grantFileProtocolExtraPrivileges: false$/m)
  })
  it('keeps the other fuses closed', () => {
    for (const f of ['runAsNode: false', 'enableNodeOptionsEnvironmentVariable: false', 'enableNodeCliInspectArguments: false', 'enableEmbeddedAsarIntegrityValidation: true', 'onlyLoadAppFromAsar: true'])
      expect(yml).toContain(f)
  })
  it('the threat model names the unpacked native modules and the macOS library-validation exception', () => {
    const doc = readFileSync(resolve(ROOT, 'docs/THREAT-MODEL-DESKTOP.md'), 'utf8')
    expect(doc).toMatch(/app\.asar\.unpacked/)
    expect(doc).toMatch(/disable-library-validation/)
    // Every unpacked native module the builder config lists is named in the threat model.
    for (const m of ['pkcs11js', 'libsql', 'usb']) expect(doc).toContain(m)
  })
})
