import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from '../i18n/index'
import KindBadge from './KindBadge.vue'
import LocationBadge from './LocationBadge.vue'
import StateBadge from './StateBadge.vue'

const global = { plugins: [i18n] }

describe('badges', () => {
  afterEach(() => setLocale('ko'))

  it.each([
    ['general', '범용'],
    ['limited', '은행·신용카드·보험용'],
    ['corporate', '법인'],
    ['other', '기타'],
  ] as const)('KindBadge %s → %s', (kind, label) => {
    const w = mount(KindBadge, { props: { kind }, global })
    expect(w.text()).toBe(label)
    expect(w.classes()).toContain(`kind-${kind}`)
  })

  it.each([
    ['valid', '정상', 'tone-ok'],
    ['expired', '만료', 'tone-bad'],
    ['not-yet-valid', '유효기간 전', 'tone-info'],
  ] as const)('StateBadge %s → %s', (state, label, tone) => {
    const w = mount(StateBadge, { props: { cert: { state, daysLeft: 100 } }, global })
    expect(w.get('.badge').text()).toBe(label)
    expect(w.get('.badge').classes()).toContain(tone)
    expect(w.find('[data-testid="state-note"]').exists()).toBe(false)
  })

  it('shows the days left on a renewable certificate', () => {
    const w = mount(StateBadge, { props: { cert: { state: 'renewable', daysLeft: 12 } }, global })
    expect(w.get('.badge').text()).toBe('갱신 가능')
    expect(w.get('[data-testid="state-note"]').text()).toBe('12일 남음')
  })

  it('shows the damage reason translated, or raw when unknown, only when asked', () => {
    const known = mount(StateBadge, { props: { cert: { state: 'damaged', daysLeft: 0, damaged: 'signPri.key is missing' }, showReason: true }, global })
    expect(known.get('.badge').text()).toBe('손상됨')
    expect(known.get('[data-testid="damaged-reason"]').text()).toBe('개인키 파일(signPri.key)이 없습니다')
    const raw = mount(StateBadge, { props: { cert: { state: 'damaged', daysLeft: 0, damaged: 'odd thing' }, showReason: true }, global })
    expect(raw.get('[data-testid="damaged-reason"]').text()).toBe('odd thing')
    const hidden = mount(StateBadge, { props: { cert: { state: 'damaged', daysLeft: 0, damaged: 'odd thing' } }, global })
    expect(hidden.find('[data-testid="damaged-reason"]').exists()).toBe(false)
  })

  it.each([
    ['pc', '하드디스크'],
    ['usb', '이동식디스크'],
    ['token', '보안토큰'],
    ['file', '파일'],
  ] as const)('LocationBadge %s → %s', (location, label) => {
    expect(mount(LocationBadge, { props: { location }, global }).text()).toBe(label)
  })

  it('names the drive of a removable location and follows the language', async () => {
    const w = mount(LocationBadge, { props: { location: 'usb', label: 'KINGSTON' }, global })
    expect(w.text()).toBe('이동식디스크 (KINGSTON)')
    setLocale('en')
    await w.vm.$nextTick()
    expect(w.text()).toBe('Removable drive (KINGSTON)')
  })
})
