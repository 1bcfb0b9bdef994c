/** `certmgr center serve --trusted-proxies`: refused when malformed, and carried to every --workers process. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import type { CliIO } from '../command'
import { serveCenter, type CenterProcess } from '../../tests/helpers/center-process'

const dir = mkdtempSync(join(tmpdir(), 'center-serve-'))
const running: CenterProcess[] = []
afterAll(async () => {
  for (const c of running) await c.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** RA session openings for an unknown identity as `forwardedFor` until the answer is slow-down; how many came before. */
async function failuresUntilSlowDown(url: string, forwardedFor: string): Promise<number> {
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${url}/ra/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor, connection: 'close' },
      body: JSON.stringify({ name: '없는사람', idn: '8001011000000', account: '999-999-999999', purpose: 'issue' }),
    })
    const body = (await res.json()) as { error?: { params?: { reason?: string } } }
    if (body.error?.params?.reason === 'slow-down') return i
  }
  return 8
}

describe('certmgr center serve --trusted-proxies', () => {
  it('refuses a list entry that is not an address or subnet, in one line', async () => {
    let err = ''
    const io: CliIO = { out: () => undefined, err: (t) => void (err += t + '\n'), readSecret: async () => '' }
    expect(await main(['center', 'serve', '--data', join(dir, 'bad'), '--trusted-proxies', '10.0.0.5,proxy.example'], io)).toBe(2)
    expect(err).toMatch(/--trusted-proxies must be IP addresses or subnets/)
    expect(err.trim().split('\n')).toHaveLength(1)
  })

  it('keys the throttle by the forwarded client in every worker process', async () => {
    const center = await serveCenter(['--data', join(dir, 'data'), '--workers', '2', '--trusted-proxies', '127.0.0.1,::1'])
    running.push(center)
    const allowance = await failuresUntilSlowDown(center.url, '203.0.113.7')
    expect(allowance).toBeGreaterThan(0)
    expect(allowance).toBeLessThan(8)
    expect(await failuresUntilSlowDown(center.url, '203.0.113.8')).toBe(allowance)
    expect(await failuresUntilSlowDown(center.url, '203.0.113.7')).toBe(0)
  })
})
