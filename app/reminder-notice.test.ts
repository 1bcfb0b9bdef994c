import { describe, expect, it } from 'vitest'
import type { Reminder } from '../core/reminders/reminders'
import { noticeInLanguage } from './reminder-notice'

const reminder: Reminder = { certId: 'c1', owner: '홍길동', serialHex: '01', notAfter: '2027-01-01T00:00:00.000Z', daysLeft: 7, milestone: 'd7' }

describe('the expiry notification follows the language setting', () => {
  it('is Korean under ko and English under en, read when it goes out', async () => {
    let language: 'ko' | 'en' = 'ko'
    const settings = { get: async () => ({ language }) }
    const shown: { title: string; body: string }[] = []
    await noticeInLanguage(settings, reminder, (_r, text) => shown.push(text))
    language = 'en'
    await noticeInLanguage(settings, reminder, (_r, text) => shown.push(text))
    expect(shown[0]).toEqual({ title: '공동인증서 갱신 안내', body: '홍길동님의 인증서가 7일 후 만료됩니다. 눌러서 갱신하세요.' })
    expect(shown[1]).toEqual({ title: 'Certificate renewal reminder', body: '홍길동’s certificate expires in 7 days. Click to renew it.' })
  })

  it('says today on the day, and falls back to Korean when the settings cannot be read', async () => {
    const shown: string[] = []
    await noticeInLanguage({ get: async () => ({ language: 'en' as const }) }, { ...reminder, daysLeft: 0 }, (_r, t) => shown.push(t.body))
    await noticeInLanguage({ get: () => Promise.reject(new Error('unreadable')) }, reminder, (_r, t) => shown.push(t.body))
    expect(shown).toEqual(['홍길동’s certificate expires today. Click to renew it.', '홍길동님의 인증서가 7일 후 만료됩니다. 눌러서 갱신하세요.'])
  })
})
