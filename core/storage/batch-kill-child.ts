/**
 * The process batch.test.ts kills with SIGKILL at random moments: it copies one of two sets of
 * certificate folders (same certificates, different km keys) into ROOT with overwrite, set A
 * then set B then A..., until killed. Argument: a JSON config { a: string[], b: string[], root }.
 * Prints "ready" once loaded and "op" after each completed batch.
 */
import { copyCerts } from './batch'

interface Config {
  a: string[]
  b: string[]
  root: string
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
  process.stdout.write('ready\n')
  for (let i = 0; ; i++) {
    const res = await copyCerts(i % 2 ? cfg.b : cfg.a, { toRoot: cfg.root, overwrite: true })
    const failed = res.find((r) => r.outcome === 'failed')
    if (failed) throw new Error(`copy failed: ${failed.outcome === 'failed' ? failed.error.message : ''}`)
    process.stdout.write('op\n')
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`child failed: ${(err as Error).message}\n`)
  process.exit(3)
})
