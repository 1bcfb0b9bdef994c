import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { firstSlices, keepSliceGroup, SLICE_GROUPS, slicesCovering } from '../../renderer/font-slices'
import { firstScreenText } from '../../renderer/src/first-screen-text'

const css = (weight: number): string => readFileSync(createRequire(import.meta.url).resolve(`@fontsource/noto-sans-kr/${weight}.css`), 'utf8')

describe('slicesCovering', () => {
  it('names the slice whose unicode-range holds a character, and no other', () => {
    const sheet = `@font-face { src: url(./files/a-400.woff2) format('woff2'); unicode-range: U+0000-00ff,U+0131; }
      @font-face { src: url(./files/b-400.woff2) format('woff2'); unicode-range: U+ac00-ac10; }
      @font-face { src: url(./files/c-400.woff2) format('woff2'); unicode-range: U+ac11; }`
    expect(slicesCovering(sheet, '가')).toEqual(['b-400.woff2'])
    expect(slicesCovering(sheet, 'A\u0131')).toEqual(['a-400.woff2'])
    expect(slicesCovering(sheet, '\uac11')).toEqual(['c-400.woff2'])
    expect(slicesCovering(sheet, '\u4e00')).toEqual([])
  })

  it("covers every character of the first screen with Fontsource's Noto Sans KR, in both weights", () => {
    const text = firstScreenText()
    expect(text).toContain('인증서')
    for (const weight of [400, 700]) {
      const sheet = css(weight)
      const files = slicesCovering(sheet, text)
      // A handful of slices, not the whole face (about 120 per weight).
      expect(files.length).toBeGreaterThan(1)
      expect(files.length).toBeLessThan(30)
      for (const ch of new Set(text)) {
        const own = slicesCovering(sheet, ch)
        if (own.length) expect(files).toContain(own[0])
      }
    }
  })
})

describe('keepSliceGroup', () => {
  const faces = (sheet: string): string[] => [...sheet.matchAll(/url\((?:\.\/)?(?:files\/)?([^)]+?\.woff2)\)/g)].map((m) => m[1]!)

  it('puts every rule of the face in exactly one group', () => {
    for (const weight of [400, 700]) {
      const sheet = css(weight)
      const all = faces(sheet)
      expect(all.length).toBeGreaterThan(100)
      const grouped = SLICE_GROUPS.flatMap((g) => faces(keepSliceGroup(sheet, g, firstScreenText())))
      expect([...grouped].sort()).toEqual([...all].sort())
    }
  })

  it('keeps the first screen small: its words, ASCII and common names are in the first group', () => {
    const sheet = css(400)
    const first = keepSliceGroup(sheet, 'first', firstScreenText())
    expect(faces(first)).toEqual(firstSlices(sheet, firstScreenText()))
    expect(faces(first).length).toBeLessThan(20)
    for (const ch of new Set(firstScreenText() + 'AZaz09()@.홍길동')) if (slicesCovering(sheet, ch).length) expect(slicesCovering(first, ch).length, ch).toBeGreaterThan(0)
  })

  it('leaves the rare syllables (a name like 똠햏뷁) and Hanja to the rare group, loaded later', () => {
    const sheet = css(700)
    const rare = keepSliceGroup(sheet, 'rare', firstScreenText())
    for (const ch of '똠햏뷁漢') expect(slicesCovering(rare, ch), ch).toHaveLength(1)
    const common = keepSliceGroup(sheet, 'common', firstScreenText())
    expect(faces(common).length).toBeGreaterThan(0)
    for (const f of faces(common)) expect(f).toMatch(/-(1[01]\d|latin-ext)-700-normal\.woff2$/)
  })
})
