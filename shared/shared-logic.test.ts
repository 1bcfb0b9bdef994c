import { describe, expect, it } from 'vitest'
import { certState, daysLeft, renewalOpensAt } from './cert-state'
import { caFolderName, displayName, formatDn, npkiFolderName, type Dn } from './dn'
import { CENTER_POLICIES, kindOf, POLICIES, policyInfo } from './policy'
import { toErrorInfo, CertError } from './errors'

const subject: Dn = [
  { type: 'c', value: 'KR' },
  { type: 'o', value: 'yessign' },
  { type: 'ou', value: 'personal4IB' },
  { type: 'ou', value: 'WOORI' },
  { type: 'cn', value: '홍길동()0012345678901234' },
]

describe('DN formatting', () => {
  it('writes the NPKI folder name most specific first with c lower-cased', () => {
    expect(npkiFolderName(subject)).toBe('cn=홍길동()0012345678901234,ou=WOORI,ou=personal4IB,o=yessign,c=kr')
    expect(formatDn(subject)).toBe('cn=홍길동()0012345678901234,ou=WOORI,ou=personal4IB,o=yessign,c=KR')
  })
  it('takes the display name from the CN before "("', () => {
    expect(displayName(subject)).toBe('홍길동')
    expect(displayName([{ type: 'cn', value: 'plain' }])).toBe('plain')
  })
  it('never lets a hostile DN escape its folder', () => {
    expect(npkiFolderName([{ type: 'cn', value: '../../etc' }])).not.toContain('/')
    expect(caFolderName([{ type: 'o', value: '..' }])).toBe('_')
    expect(caFolderName([{ type: 'o', value: 'a/b\\c' }])).toBe('a_b_c')
  })
})

describe('certificate state', () => {
  const nb = new Date('2026-01-01T00:00:00Z')
  const na = new Date('2027-01-01T00:00:00Z')
  it('is valid until 30 days before expiry, then renewable, then expired', () => {
    expect(certState(nb, na, new Date('2026-06-01T00:00:00Z'))).toBe('valid')
    expect(certState(nb, na, new Date('2026-12-01T00:00:00Z'))).toBe('valid')
    expect(certState(nb, na, new Date('2026-12-02T00:00:00Z'))).toBe('renewable')
    expect(certState(nb, na, new Date('2027-01-01T00:00:01Z'))).toBe('expired')
    expect(certState(nb, na, new Date('2025-12-31T23:59:59Z'))).toBe('not-yet-valid')
  })
  it('counts whole days left and when renewal opens', () => {
    expect(daysLeft(na, new Date('2026-12-31T00:00:00Z'))).toBe(1)
    expect(daysLeft(na, new Date('2027-01-02T00:00:00Z'))).toBe(-1)
    expect(renewalOpensAt(na).toISOString()).toBe('2026-12-02T00:00:00.000Z')
  })
})

describe('policy table', () => {
  it('classifies every licensed CA’s personal certificates', () => {
    expect(kindOf('1.2.410.200005.1.1.4')).toBe('limited')
    expect(kindOf('1.2.410.200005.1.1.1')).toBe('general')
    expect(kindOf('1.2.410.200004.5.2.1.2')).toBe('general')
    expect(kindOf('1.2.410.200004.5.4.1.101')).toBe('limited')
    expect(kindOf('1.2.410.200012.1.1.3')).toBe('corporate')
    expect(kindOf('1.2.410.200004.5.1.1.9')).toBe('limited')
  })
  it('shows unknown OIDs as other, never guessed', () => {
    expect(kindOf('1.2.3.4')).toBe('other')
    expect(kindOf(undefined)).toBe('other')
    expect(policyInfo('1.2.3.4')).toBeUndefined()
  })
  it('knows the embedded center’s own policies, under its own arc', () => {
    expect(kindOf(CENTER_POLICIES.limited)).toBe('limited')
    expect(kindOf(CENTER_POLICIES.general)).toBe('general')
    expect(Object.keys(POLICIES).filter((o) => o.startsWith('2.25.'))).toHaveLength(2)
  })
})

describe('errors', () => {
  it('maps file-system errors to plain IO reasons and hides the rest', () => {
    expect(toErrorInfo(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toMatchObject({ code: 'IO', params: { reason: 'disk-full' } })
    expect(toErrorInfo(Object.assign(new Error('x'), { code: 'EROFS' }))).toMatchObject({ code: 'IO', params: { reason: 'read-only' } })
    expect(toErrorInfo(new Error('/home/secret/path'))).toEqual({ code: 'INTERNAL', message: 'unexpected internal error' })
    expect(toErrorInfo(new CertError('WRONG_PASSWORD', 'wrong password'))).toEqual({ code: 'WRONG_PASSWORD', message: 'wrong password' })
  })
})
