import { readFile } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/** The CSP every page of the app is served with (ARCHITECTURE.md: strict, no remote content). */
export const APP_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

/**
 * Resolves a URL path inside `root`, refusing anything that escapes it (`..`, encoded
 * separators, absolute paths). Shared by Electron's protocol handler and the browser host.
 */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!)
  } catch {
    return undefined
  }
  if (decoded.includes('\0')) return undefined
  const rel = decoded.replace(/^\/+/, '') || 'index.html'
  const base = resolve(root)
  const full = resolve(base, rel)
  if (full !== base && !full.startsWith(base + sep)) return undefined
  return full
}

export async function readStatic(root: string, urlPath: string): Promise<{ body: Buffer; type: string } | undefined> {
  const full = resolveInside(root, urlPath)
  if (!full) return undefined
  try {
    return { body: await readFile(full), type: TYPES[extname(full)] ?? 'application/octet-stream' }
  } catch {
    return undefined
  }
}
