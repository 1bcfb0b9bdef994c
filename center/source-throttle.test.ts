import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CertError } from '../shared/errors'
import { openCenterDb } from './db'
import { SourceThrottle, sourceKey } from './source-throttle'
import { CENTER_STORES, testStore } from '../tests/helpers/postgres'

describe('sourceKey', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7')
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7')
    expect(sourceKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64')
    expect(sourceKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64')
    expect(sourceKey('::1')).toBe('0:0:0:0::/64')
    expect(sourceKey(undefined)).toBe('unknown')
  })
})

describe.each(CENTER_STORES)('SourceThrottle on %s', (storeName) => {
  it('lets a source fail its allowance, then makes it wait longer per failure, per scope', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'throttle-'))
    const store = await testStore(storeName)
    const db = await openCenterDb(dir, { dbUrl: store.dbUrl })
    try {
      let now = 1_000_000
      const t = new SourceThrottle(db, 'x', { freeFailures: 2, windowMs: 3_600_000, baseDelayMs: 1000, maxDelayMs: 4000 }, () => now)
      const other = new SourceThrottle(db, 'y', { freeFailures: 2, windowMs: 3_600_000, baseDelayMs: 1000, maxDelayMs: 4000 }, () => now)
      expect(await t.fail('s')).toBe(1)
      expect(await t.fail('s')).toBe(0)
      const err = await t.check('s').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(CertError)
      expect((err as CertError).params).toEqual({ reason: 'slow-down', retryAfterSeconds: 1 })
      await other.check('s')
      await t.check('t')
      now += 1001
      await t.check('s')
      await t.fail('s')
      expect(((await t.check('s').catch((e: unknown) => e)) as CertError).params?.retryAfterSeconds).toBe(2)
      now += 10_000
      await t.fail('s')
      expect(((await t.check('s').catch((e: unknown) => e)) as CertError).params?.retryAfterSeconds).toBe(4)
      // A new window starts an hour after the first failure.
      now += 3_600_000
      expect(await t.fail('s')).toBe(1)
    } finally {
      db.close()
      await store.drop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
