/**
 * The woff2 files of a Fontsource stylesheet whose `unicode-range` covers at least one character
 * of `text`: the slices a page showing that text will fetch. Used at build time to preload the
 * first screen's slices from index.html, before any script has run.
 */
export function slicesCovering(css: string, text: string): string[] {
  const points = [...new Set([...text].map((c) => c.codePointAt(0)!))]
  const files: string[] = []
  for (const block of css.split('@font-face').slice(1)) {
    const file = /url\((?:\.\/)?(?:files\/)?([^)]+?\.woff2)\)/.exec(block)?.[1]
    const range = /unicode-range:\s*([^;}]+)/.exec(block)?.[1]
    if (!file || !range) continue
    const spans = range.split(',').map((r) => {
      const [lo, hi] = r.trim().replace(/^U\+/i, '').split('-')
      const a = parseInt(lo!, 16)
      return [a, hi === undefined ? a : parseInt(hi, 16)] as const
    })
    if (points.some((p) => spans.some(([a, b]) => p >= a && p <= b))) files.push(file)
  }
  return files
}
