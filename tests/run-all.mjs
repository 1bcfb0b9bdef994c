#!/usr/bin/env node
// `npm test`: every check and every test, then one closing line `N passed, N failed` read
// from the runners' JSON reports (Vitest's own summary is not a line CI reads).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const bin = (name) => `node_modules/.bin/${name}`
mkdirSync('reports', { recursive: true })
for (const f of ['reports/vitest.json', 'reports/playwright.json']) rmSync(f, { force: true })

let passed = 0
let failed = 0
let skipped = 0
const lines = []

function run(label, cmd, args, env = {}) {
  process.stdout.write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  return r.status === 0
}

/** A build, type check or lint counts as one test: it passes or it fails. */
function check(label, cmd, args, env) {
  const ok = run(label, cmd, args, env)
  if (ok) passed++
  else failed++
  lines.push(`${ok ? 'ok  ' : 'FAIL'} ${label}`)
  return ok
}

const built = check('build', 'npm', ['run', '--silent', 'build'])
check('typecheck node', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit'])
check('typecheck web', bin('vue-tsc'), ['-p', 'tsconfig.web.json', '--noEmit'])
check('typecheck e2e', bin('tsc'), ['-p', 'tsconfig.e2e.json', '--noEmit'])
check('lint', bin('eslint'), ['.', '--max-warnings', '0'])

run('vitest', bin('vitest'), ['run', '--reporter=default', '--reporter=json', '--outputFile=reports/vitest.json'])
if (existsSync('reports/vitest.json')) {
  const v = JSON.parse(readFileSync('reports/vitest.json', 'utf8'))
  passed += v.numPassedTests
  failed += v.numFailedTests + (v.numRuntimeErrorTestSuites ?? 0) + v.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length
  skipped += v.numPendingTests + v.numTodoTests
  lines.push(`vitest: ${v.numPassedTests} passed, ${v.numFailedTests} failed`)
} else {
  failed++
  lines.push('FAIL vitest produced no report')
}

if (built) {
  run('playwright', bin('playwright'), ['test'])
  if (existsSync('reports/playwright.json')) {
    const p = JSON.parse(readFileSync('reports/playwright.json', 'utf8'))
    const s = p.stats
    passed += s.expected + s.flaky
    failed += s.unexpected + (p.errors?.length ?? 0)
    skipped += s.skipped
    lines.push(`playwright: ${s.expected} passed, ${s.unexpected} failed, ${s.flaky} flaky`)
  } else {
    failed++
    lines.push('FAIL playwright produced no report')
  }
} else lines.push('FAIL playwright not run: the build failed')

const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`
writeFileSync('reports/summary.txt', summary + '\n')
process.stdout.write(`\n${lines.join('\n')}\n\n${summary}\n`)
process.exit(failed === 0 && passed > 0 ? 0 : 1)
