import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { slicesCovering } from '../../renderer/font-slices'
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
