import { describe, expect, it } from 'vitest'
import { damagedReasonKey, stateNote, stateTone, visibleCerts } from './cert-view'
import { summary } from '../testing/fake-api'

describe('state mapping', () => {
  it('gives each state its tone', () => {
    expect(stateTone('valid')).toBe('ok')
    expect(stateTone('renewable')).toBe('warn')
    expect(stateTone('expired')).toBe('bad')
    expect(stateTone('not-yet-valid')).toBe('info')
    expect(stateTone('damaged')).toBe('bad')
  })

  it('notes the days left only while renewal is open', () => {
    expect(stateNote({ state: 'renewable', daysLeft: 12 })).toEqual({ key: 'state.daysLeft', n: 12 })
    expect(stateNote({ state: 'renewable', daysLeft: 0 })).toEqual({ key: 'state.expiresToday', n: 0 })
    expect(stateNote({ state: 'valid', daysLeft: 200 })).toBeUndefined()
    expect(stateNote({ state: 'expired', daysLeft: -3 })).toBeUndefined()
  })

  it('translates the damage reasons the scanner reports and leaves others raw', () => {
    expect(damagedReasonKey('signPri.key is missing')).toBe('damaged.missingKey')
    expect(damagedReasonKey('signCert.der is corrupt')).toBe('damaged.corruptCert')
    expect(damagedReasonKey('signCert.der is missing')).toBe('damaged.missingCert')
    expect(damagedReasonKey('something new')).toBeUndefined()
    expect(damagedReasonKey(undefined)).toBeUndefined()
  })
})

describe('hide-expired filter', () => {
  const certs = [
    summary({ id: 'a', state: 'expired' }),
    summary({ id: 'b', state: 'valid' }),
    summary({ id: 'c', state: 'damaged', damaged: 'signPri.key is missing' }),
    summary({ id: 'd', state: 'renewable' }),
    summary({ id: 'e', state: 'not-yet-valid' }),
  ]

  it('hides expired certificates only, keeping damaged ones visible', () => {
    expect(visibleCerts(certs, true).map((c) => c.id)).toEqual(['b', 'c', 'd', 'e'])
  })

  it('shows everything when off, as a copy', () => {
    const all = visibleCerts(certs, false)
    expect(all.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(all).not.toBe(certs)
  })
})
