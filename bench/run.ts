import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchResult, BenchSuite } from './types'

// `npm run bench [name...]`: every suite in bench/suites (or those named), each measuring
// ours against the reference tool in the same run; a table and bench/results.json.
const only = process.argv.slice(2)
const dir = join(import.meta.dirname, 'suites')
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .filter((f) => !only.length || only.includes(f.replace(/\.ts$/, '')))
  .sort()

const results: BenchResult[] = []
for (const f of files) {
  process.stdout.write(`running ${f}...\n`)
  try {
    const mod = (await import(join(dir, f))) as { default: BenchSuite }
    results.push(...(await mod.default()))
  } catch (err) {
    process.stdout.write(`  ${f} failed: ${(err as Error).message.split('\n')[0]}\n`)
  }
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3))
const rows = results.map((r) => [r.name, `${fmt(r.ours)} ${r.unit}`, `${fmt(r.reference)} ${r.unit}`, `${r.ratio.toFixed(2)}x`, r.target, r.met === undefined ? '' : r.met ? 'met' : 'MISSED'])
const head = ['benchmark', 'ours', 'reference', 'ratio', 'target', '']
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const print = (r: string[]) => process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n')
process.stdout.write('\n')
print(head)
print(widths.map((w) => '-'.repeat(w)))
rows.forEach(print)
mkdirSync(join(import.meta.dirname), { recursive: true })
writeFileSync(join(import.meta.dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n')
process.stdout.write('\nwritten bench/results.json\n')
