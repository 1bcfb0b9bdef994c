import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCenter } from './center'
import { clientSource, parseTrustedProxies } from './client-source'

describe('clientSource', () => {
  const proxies = parseTrustedProxies(['10.0.0.5', '10.1.0.0/16', 'fd00::/8'])

  it('is the socket peer when no proxy is listed, whatever X-Forwarded-For says', () => {
    expect(clientSource('192.0.2.7', '203.0.113.9', undefined)).toBe('192.0.2.7')
    expect(clientSource('::ffff:192.0.2.7', undefined, undefined)).toBe('192.0.2.7')
    expect(parseTrustedProxies([])).toBeUndefined()
  })

  it('ignores X-Forwarded-For from a peer that is not a listed proxy', () => {
    expect(clientSource('192.0.2.7', '203.0.113.9', proxies)).toBe('192.0.2.7')
  })

  it('takes the nearest address a listed proxy appended, past further listed proxies, never what the client wrote', () => {
    expect(clientSource('10.0.0.5', '203.0.113.9', proxies)).toBe('203.0.113.9')
    expect(clientSource('::ffff:10.0.0.5', '203.0.113.9', proxies)).toBe('203.0.113.9')
    // The client sent "X-Forwarded-For: 1.1.1.1" itself; the proxy appended its real address.
    expect(clientSource('10.0.0.5', '1.1.1.1, 203.0.113.9', proxies)).toBe('203.0.113.9')
    // Two proxies: the outer one (10.1.2.3, listed by subnet) appended the client.
    expect(clientSource('10.0.0.5', '1.1.1.1, 203.0.113.9, 10.1.2.3', proxies)).toBe('203.0.113.9')
    expect(clientSource('10.0.0.5', ['1.1.1.1, 203.0.113.9', '10.1.2.3'], proxies)).toBe('203.0.113.9')
    // Ports and brackets as some proxies write them; IPv6 clients keyed by their /64.
    expect(clientSource('10.0.0.5', '203.0.113.9:4711', proxies)).toBe('203.0.113.9')
    expect(clientSource('fd00::1', '[2001:db8:0:1::5]:443', proxies)).toBe('2001:db8:0:1::/64')
  })

  it('stops at garbage or at the end of the chain with the last address a listed proxy vouched for', () => {
    expect(clientSource('10.0.0.5', '203.0.113.9, not-an-address', proxies)).toBe('10.0.0.5')
    expect(clientSource('10.0.0.5', '', proxies)).toBe('10.0.0.5')
    expect(clientSource('10.0.0.5', undefined, proxies)).toBe('10.0.0.5')
    expect(clientSource('10.0.0.5', '10.1.0.9', proxies)).toBe('10.1.0.9')
  })

  it('refuses a list entry that is not an address or subnet', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '::/129', '10.0.0.5/']) expect(() => parseTrustedProxies([bad])).toThrow(/trusted proxy must be an IP address or subnet/)
  })
})

/** Opens RA sessions for an identity nobody has, as `forwardedFor`, until the RA asks the source to slow down; returns how many were answered before. */
async function failuresUntilSlowDown(url: string, forwardedFor: string, max = 8): Promise<number> {
  for (let i = 0; i < max; i++) {
    const res = await fetch(`${url}/ra/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ name: '없는사람', idn: '8001011000000', account: '999-999-999999', purpose: 'issue' }),
    })
    const body = (await res.json()) as { error?: { params?: { reason?: string } } }
    expect(res.status).toBe(403)
    if (body.error?.params?.reason === 'slow-down') return i
  }
  return max
}

describe('the throttle behind a reverse proxy (--trusted-proxies)', () => {
  it('counts each forwarded client apart when the proxy is listed, and the socket peer when it is not', async () => {
    for (const trusted of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), 'center-proxy-'))
      // The test stands in for the proxy: it connects from 127.0.0.1 and writes X-Forwarded-For.
      const center = await startCenter({ dataDir: dir, trustedProxies: trusted ? ['127.0.0.1', '::1'] : [] })
      try {
        const allowance = await failuresUntilSlowDown(center.url, '203.0.113.7')
        expect(allowance).toBeGreaterThan(0)
        expect(allowance).toBeLessThan(8)
        // Another client behind the same proxy: its own allowance when the proxy is listed;
        // without the listing every client is the proxy, and a header changes nothing.
        expect(await failuresUntilSlowDown(center.url, '203.0.113.8')).toBe(trusted ? allowance : 0)
        // A client that writes a listed proxy's address or another client's into the header
        // itself does not escape: the proxy appends the real peer after it.
        if (trusted) expect(await failuresUntilSlowDown(center.url, '198.51.100.1, 203.0.113.7')).toBe(0)
      } finally {
        await center.close()
        rmSync(dir, { recursive: true, force: true })
      }
    }
  })
})
