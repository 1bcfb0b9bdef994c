import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { zipSync, type Zippable } from 'fflate'
import { describe, expect, it } from 'vitest'
import { expandReceived, MAX_ZIP_ENTRIES, unpackNpkiZip } from './npki-zip'
import { NPKI_ZIP_NAME } from '../../shared/cpace/transfer'

const FIX = resolve(import.meta.dirname, '../../../shared/fixtures/pypinksign')
const cert = new Uint8Array(readFileSync(resolve(FIX, 'signCert.der')))
const key = new Uint8Array(readFileSync(resolve(FIX, 'signPri.key')))

const names = (files: { name: string }[]) => files.map((f) => f.name).sort()

describe('unpackNpkiZip', () => {
  it('unpacks the pair at the top level, byte for byte', () => {
    const out = unpackNpkiZip(zipSync({ 'signCert.der': cert, 'signPri.key': key }))
    expect(names(out)).toEqual(['signCert.der', 'signPri.key'])
    expect(Buffer.compare(Buffer.from(out.find((f) => f.name === 'signPri.key')!.data), Buffer.from(key))).toBe(0)
  })

  it('unpacks the certificate folder one level deep, folder entry included', () => {
    const zip = zipSync({ 'cn=홍길동(0001)': {}, 'cn=홍길동(0001)/signCert.der': cert, 'cn=홍길동(0001)/signPri.key': key } as Zippable)
    expect(names(unpackNpkiZip(zip))).toEqual(['signCert.der', 'signPri.key'])
  })

  it('refuses path traversal', () => {
    expect(() => unpackNpkiZip(zipSync({ '../signCert.der': cert, 'signPri.key': key }))).toThrow(/^the zip is refused: unsafe path "\.\.\/signCert\.der"$/)
    expect(() => unpackNpkiZip(zipSync({ '/etc/signCert.der': cert, 'signPri.key': key }))).toThrow(/unsafe path/)
  })

  it('refuses backslash paths (Windows traversal)', () => {
    expect(() => unpackNpkiZip(zipSync({ '..\\signCert.der': cert, 'signPri.key': key }))).toThrow(/unsafe path/)
  })

  it('refuses files more than one folder deep', () => {
    expect(() => unpackNpkiZip(zipSync({ 'NPKI/yessign/signCert.der': cert, 'NPKI/yessign/signPri.key': key }))).toThrow(/not at the top or one folder deep/)
  })

  it('refuses an oversize entry before inflating it', () => {
    // 2 MB of zeros deflates to a few KB: the declared size is what is refused.
    expect(() => unpackNpkiZip(zipSync({ 'signCert.der': new Uint8Array(2 * 1024 * 1024), 'signPri.key': key }))).toThrow(/^the zip is refused: "signCert\.der" is larger than 64 KB$/)
  })

  it('refuses wrong names', () => {
    expect(() => unpackNpkiZip(zipSync({ 'signCert.der': cert, 'signPri.key': key, 'readme.txt': new Uint8Array([1]) }))).toThrow(/^the zip is refused: unexpected file "readme\.txt"/)
  })

  it('refuses a zip without the key', () => {
    expect(() => unpackNpkiZip(zipSync({ 'signCert.der': cert }))).toThrow(/^the zip is refused: signCert\.der and signPri\.key are both required$/)
  })

  it('refuses files split across folders', () => {
    expect(() => unpackNpkiZip(zipSync({ 'a/signCert.der': cert, 'b/signPri.key': key }))).toThrow(/different folders/)
  })

  it('bounds the entry count', () => {
    const many: Zippable = {}
    for (let i = 0; i <= MAX_ZIP_ENTRIES; i++) many[`d${i}`] = {}
    expect(() => unpackNpkiZip(zipSync(many))).toThrow(new RegExp(`more than ${MAX_ZIP_ENTRIES} entries`))
  })

  it('refuses bytes that are not a zip with one line', () => {
    expect(() => unpackNpkiZip(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(/^the zip is refused: it is not a readable zip file$/)
  })
})

describe('expandReceived', () => {
  it('replaces NPKI.zip by its files and leaves a plain pair alone', () => {
    const zip = zipSync({ 'signCert.der': cert, 'signPri.key': key })
    expect(names(expandReceived('npki', [{ name: NPKI_ZIP_NAME, data: zip }]))).toEqual(['signCert.der', 'signPri.key'])
    const pair = [{ name: 'signCert.der', data: cert }, { name: 'signPri.key', data: key }]
    expect(expandReceived('npki', pair)).toBe(pair)
  })
})
