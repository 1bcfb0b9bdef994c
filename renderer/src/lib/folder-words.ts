/**
 * Where a certificate folder is, in words a user reads: "하드디스크 · HKD · yessign" instead of
 * `/home/…/NPKI/yessign/USER/cn=HKD(KILDONG.HONG)0091…,ou=…,o=yessign,c=kr`. The place comes
 * from the NPKI root the folder lies in (a drive's root says 이동식디스크), the owner from the
 * folder's CN, the issuer from the folder under NPKI.
 */
export interface FolderWords {
  kind: 'pc' | 'usb' | ''
  owner: string
  issuer: string
}

function norm(p: string): string {
  return p.replace(/\\/g, '/').replace(/\/+$/, '')
}

export function folderWords(path: string, roots: readonly { kind: string; path?: string }[]): FolderWords {
  const p = norm(path)
  const root = roots.filter((r) => r.path && (p === norm(r.path) || p.startsWith(norm(r.path) + '/'))).sort((a, b) => norm(b.path!).length - norm(a.path!).length)[0]
  const kind = root?.kind === 'usb' ? 'usb' : root?.kind === 'pc' ? 'pc' : ''
  const parts = p.split('/').filter(Boolean)
  const leaf = parts[parts.length - 1] ?? ''
  const cn = /(?:^|,)\s*cn=([^,]*)/i.exec(leaf)?.[1] ?? ''
  const owner = cn.split('(')[0]!.trim()
  const under = root?.path ? norm(p.slice(norm(root.path).length)).split('/').filter(Boolean) : []
  const npki = parts.findIndex((s) => s.toLowerCase() === 'npki')
  const issuer = under.length > 1 ? under[0]! : npki >= 0 && npki + 1 < parts.length - 1 ? parts[npki + 1]! : ''
  return { kind, owner, issuer }
}

/** The words joined for a notice; `place` is the translated 하드디스크 / 이동식디스크. */
export function whereText(w: FolderWords, place: (kind: 'pc' | 'usb') => string): string {
  return [w.kind ? place(w.kind) : '', w.owner, w.issuer].filter(Boolean).join(' · ')
}
