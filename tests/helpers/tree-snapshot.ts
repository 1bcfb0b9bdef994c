import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/**
 * Every file under `dirs` with a hash of its bytes, and every folder: two snapshots are equal
 * when nothing was written, removed or left half-way (a temporary file or folder counts).
 */
export function treeSnapshot(...dirs: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (base: string, dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      const key = `${base}:${relative(base, p)}`
      if (e.isDirectory()) {
        out[key + '/'] = 'dir'
        walk(base, p)
      } else out[key] = createHash('sha256').update(readFileSync(p)).digest('hex')
    }
  }
  for (const d of dirs) if (existsSync(d)) walk(d, d)
  return out
}
