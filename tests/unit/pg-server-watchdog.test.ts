import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'

const SCRIPT = resolve(import.meta.dirname, '../helpers/pg-server.sh')
const hasPg = existsSync('/usr/lib/postgresql')

function postmasterRunning(dir: string): boolean {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dir}/data`], { encoding: 'utf8' }).trim() !== ''
  } catch {
    return false
  }
}

describe('tests/helpers/pg-server.sh', () => {
  // In CI the binaries are installed (`.ci/run`); a developer machine without them skips.
  it.skipIf(!hasPg && process.env.CI !== 'true')(
    'leaked PostgreSQL test servers: a server started for a process stops once that process is gone, even killed with a signal',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'certmgr-pg-watchdog-'))
      // Stands in for a Vitest worker that is ended with SIGKILL and runs no exit handler.
      const owner = spawn('sleep', ['60'], { stdio: 'ignore' })
      try {
        const url = execFileSync(SCRIPT, ['start', dir, String(owner.pid)], { encoding: 'utf8' }).trim()
        expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
        expect(postmasterRunning(dir)).toBe(true)
        owner.kill('SIGKILL')
        const deadline = Date.now() + 30_000
        while ((postmasterRunning(dir) || existsSync(dir)) && Date.now() < deadline) await sleep(250)
        expect(postmasterRunning(dir)).toBe(false)
        expect(existsSync(dir)).toBe(false)
      } finally {
        owner.kill('SIGKILL')
        if (existsSync(dir)) {
          try {
            execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore' })
          } catch {
            // not started
          }
          rmSync(dir, { recursive: true, force: true })
        }
      }
    },
  )
})
