/**
 * The bundled Korean face is Fontsource's Noto Sans KR: one `@font-face` per slice of characters
 * (about 120 per weight), each a woff2 fetched when text first needs it. Every one of those rules
 * costs the first frame even when its file is never fetched: the stylesheet is parsed before the
 * first paint and each text run is matched against every range. So the rules come in groups
 * (built by electron.vite.config.ts, loaded by renderer/src/font-groups.ts):
 *
 * - `first`: the slices the first screen's words and ASCII need, in the page's own stylesheet
 *   and preloaded from index.html;
 * - `common`: the rest of the frequent-character slices (Fontsource numbers the Korean slices by
 *   frequency: 100–119 hold 1,560 of the 2,350 syllables of KS X 1001) and Latin Extended;
 * - `rare`: rarer syllables, Hanja, symbols, Cyrillic, Vietnamese.
 *
 * `common` and `rare` load right after the first paint, or before it when the first answers hold
 * a character the loaded slices do not cover (a name), so Hangul is never drawn by a fallback.
 */
export type SliceGroup = 'first' | 'common' | 'rare'
export const SLICE_GROUPS: readonly SliceGroup[] = ['first', 'common', 'rare']

const ASCII = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join('')

/** A CSS `unicode-range` value (`U+ac00-ac01, U+0131`) as inclusive code point spans. */
export function parseUnicodeRange(range: string): (readonly [number, number])[] {
  return range.split(',').map((r) => {
    const [lo, hi] = r.trim().replace(/^U\+/i, '').split('-')
    const a = parseInt(lo!, 16)
    return [a, hi === undefined ? a : parseInt(hi, 16)] as const
  })
}

interface FontFaceBlock {
  /** The whole `@font-face { … }` rule. */
  rule: string
  file: string
  spans: (readonly [number, number])[]
}

function fontFaces(css: string): FontFaceBlock[] {
  const out: FontFaceBlock[] = []
  for (const m of css.matchAll(/@font-face\s*\{[^}]*\}/g)) {
    const rule = m[0]
    const file = /url\((?:\.\/)?(?:files\/)?([^)]+?\.woff2)\)/.exec(rule)?.[1]
    const range = /unicode-range:\s*([^;}]+)/.exec(rule)?.[1]
    if (!file || !range) continue
    out.push({ rule, file, spans: parseUnicodeRange(range) })
  }
  return out
}

const covers = (f: FontFaceBlock, points: number[]): boolean => points.some((p) => f.spans.some(([a, b]) => p >= a && p <= b))
const codePoints = (text: string): number[] => [...new Set([...text].map((c) => c.codePointAt(0)!))]

/**
 * The woff2 files of a Fontsource stylesheet whose `unicode-range` covers at least one character
 * of `text`: the slices a page showing that text will fetch.
 */
export function slicesCovering(css: string, text: string): string[] {
  const points = codePoints(text)
  return fontFaces(css).filter((f) => covers(f, points)).map((f) => f.file)
}

/** Which group a slice of Noto Sans KR belongs to, given the first screen's words. */
function groupOf(face: FontFaceBlock, firstPoints: number[]): SliceGroup {
  if (covers(face, firstPoints)) return 'first'
  const n = /-(\d+)-\d+-normal\.woff2$/.exec(face.file)?.[1]
  if ((n !== undefined && Number(n) >= 100) || /-latin-ext-/.test(face.file)) return 'common'
  return 'rare'
}

/** The stylesheet with only the `@font-face` rules of one group (the page's words decide `first`). */
export function keepSliceGroup(css: string, group: SliceGroup, firstScreenText: string): string {
  const firstPoints = codePoints(firstScreenText + ASCII)
  return fontFaces(css)
    .filter((f) => groupOf(f, firstPoints) === group)
    .map((f) => f.rule)
    .join('\n')
}

/** The woff2 files of the `first` group: what index.html preloads. */
export function firstSlices(css: string, firstScreenText: string): string[] {
  return slicesCovering(css, firstScreenText + ASCII)
}
