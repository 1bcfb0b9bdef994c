import type { CertSummary } from '../../shared/contract/certs'
import { parseUnicodeRange } from '../font-slices'

// The bundled face's slices come in three groups (renderer/font-slices.ts): `first` is in the
// page's stylesheet (main.ts); `common` and `rare` are stylesheets of their own, loaded here.
type LaterGroup = 'common' | 'rare'

const loaders: Record<LaterGroup, () => Promise<unknown>> = {
  common: () => Promise.all([import('@fontsource/noto-sans-kr/400.css?slices=common'), import('@fontsource/noto-sans-kr/700.css?slices=common')]),
  rare: () => Promise.all([import('@fontsource/noto-sans-kr/400.css?slices=rare'), import('@fontsource/noto-sans-kr/700.css?slices=rare')]),
}
const loading = new Map<LaterGroup, Promise<void>>()

function loadGroup(group: LaterGroup): Promise<void> {
  let p = loading.get(group)
  if (!p) {
    // A stylesheet that fails to load leaves those characters to the system's fonts; nothing else
    // depends on it.
    p = loaders[group]().then(
      () => undefined,
      () => undefined,
    )
    loading.set(group, p)
  }
  return p
}

/**
 * The characters of `text` beyond printable ASCII (which the first group always has) that no
 * Noto Sans KR rule in the page covers yet.
 */
function uncovered(text: string): string[] {
  const wanted = [...new Set(text.match(/[^ -~\s]/gu) ?? [])]
  // Without a FontFaceSet (unit tests' DOM) there is nothing to load.
  if (wanted.length === 0 || typeof document === 'undefined' || !document.fonts) return []
  const spans: (readonly [number, number])[] = []
  for (const face of document.fonts) if (face.family.replace(/["']/g, '') === 'Noto Sans KR') spans.push(...parseUnicodeRange(face.unicodeRange))
  return wanted.filter((c) => {
    const p = c.codePointAt(0)!
    return !spans.some(([a, b]) => p >= a && p <= b)
  })
}

/**
 * Makes sure the page has the rules for every character of `text` (the first answers: names,
 * issuers) before the first frame draws it, loading the fewest groups that do.
 */
async function loadSlicesFor(text: string): Promise<void> {
  if (uncovered(text).length === 0) return
  await loadGroup('common')
  if (uncovered(text).length === 0) return
  await loadGroup('rare')
}

const checked = new WeakMap<object, Promise<void>>()

/**
 * `loadSlicesFor` the words a list of certificates puts on screen from its data (CertTable: the
 * owner, the issuer, a drive's label, a damaged folder's reason and name; the rest is messages),
 * once per answer: the first list is checked before the first frame and handed to the store as
 * it is.
 */
export function loadSlicesForCerts(certs: readonly CertSummary[]): Promise<void> {
  let p = checked.get(certs)
  if (!p) {
    let text = ''
    for (const c of certs) text += `${c.owner}${c.issuerName}${c.locationLabel ?? ''}${c.damaged ?? ''}${c.state === 'damaged' ? c.path : ''}`
    p = loadSlicesFor(text)
    checked.set(certs, p)
  }
  return p
}

/** Everything else, once the first screen is painted: later screens and names find their slices. */
export function loadRemainingSlices(): Promise<void> {
  return loadGroup('common').then(() => loadGroup('rare'))
}
