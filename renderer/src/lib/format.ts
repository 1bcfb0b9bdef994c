/** YYYY-MM-DD in the user's time zone, as bank certificate windows show expiry dates. */
export function formatDate(iso: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/** YYYY-MM-DD HH:mm, for the details panel where the exact hour matters. */
export function formatDateTime(iso: string): string {
  const day = formatDate(iso)
  if (!day) return ''
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${day} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Hex split into byte pairs: `459c75` → `45 9c 75` (an odd length gets a leading 0). */
export function groupHex(hex: string, sep = ' '): string {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '')
  const even = clean.length % 2 ? '0' + clean : clean
  return (even.match(/../g) ?? []).join(sep)
}

/** Fingerprints as certificate viewers print them: upper-case bytes joined by colons. */
export function formatFingerprint(hex: string): string {
  return groupHex(hex, ':').toUpperCase()
}

/** The last path segment, for naming a certificate folder that has no readable owner. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean)
  return parts[parts.length - 1] ?? path
}

/**
 * An account number as banks show it after entry: the bank's first three digits and the last
 * four, the rest masked, grouped 3-3-rest: `110123456789` → `110-***-**6789`.
 */
export function maskAccount(account: string): string {
  const d = account.replace(/\D/g, '')
  if (d.length < 8) return '*'.repeat(d.length)
  const masked = d.slice(0, 3) + '*'.repeat(d.length - 7) + d.slice(-4)
  return `${masked.slice(0, 3)}-${masked.slice(3, 6)}-${masked.slice(6)}`
}

const OS_NAMES: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD', openbsd: 'OpenBSD' }

/** The operating system by its proper name, not Node's platform id (`linux` → `Linux`). */
export function osName(platform: string): string {
  return OS_NAMES[platform] ?? platform
}
