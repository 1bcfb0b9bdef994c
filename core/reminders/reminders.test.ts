import { describe, expect, it } from 'vitest'
import type { CertSummary } from '../../shared/contract/certs'
import { tempDir } from '../../tests/helpers/fixtures'
import { dueReminders, milestoneFor, ReminderScheduler, type Reminder } from './reminders'

function cert(daysLeft: number, state: CertSummary['state'], serialHex = 'aa'): CertSummary {
  return {
    id: `c${serialHex}`, location: 'pc', path: '/x', rootPath: '/', owner: '홍길동', subjectDn: '', issuerName: 'CertMgr', issuerDn: '', caFolder: 'CertMgr',
    serialHex, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-01-01T00:00:00.000Z', daysLeft, state, kind: 'limited', hasKmPair: false,
  }
}

describe('expiry reminders', () => {
  it('names the milestone for the days left', () => {
    expect(milestoneFor(31)).toBeUndefined()
    expect(milestoneFor(30)).toBe('window')
    expect(milestoneFor(8)).toBe('window')
    expect(milestoneFor(7)).toBe('d7')
    expect(milestoneFor(1)).toBe('d1')
    expect(milestoneFor(0)).toBe('d1')
    expect(milestoneFor(-1)).toBeUndefined()
  })
  it('skips expired, damaged and far-off certificates', () => {
    expect(dueReminders([cert(100, 'valid'), cert(-3, 'expired'), cert(5, 'damaged')], new Set())).toEqual([])
  })
  it('sends each milestone once, across restarts, and counts renewable ones for the badge', async () => {
    const dir = tempDir()
    let days = 25
    const sent: Reminder[] = []
    let badge = -1
    const make = () => new ReminderScheduler(dir, async () => [cert(days, 'renewable')], (r) => sent.push(r), (n) => (badge = n))
    await make().check()
    await make().check()
    expect(sent.map((r) => r.milestone)).toEqual(['window'])
    expect(badge).toBe(1)
    days = 6
    await make().check()
    days = 1
    await make().check()
    await make().check()
    expect(sent.map((r) => r.milestone)).toEqual(['window', 'd7', 'd1'])
  })
})
