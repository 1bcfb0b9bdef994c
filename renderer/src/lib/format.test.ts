import { describe, expect, it } from 'vitest'
import { baseName, formatDate, formatFingerprint, groupHex, maskAccount, osName } from './format'

describe('format', () => {
  it('formats dates as YYYY-MM-DD in local time', () => {
    const d = new Date(2020, 2, 5, 23, 59)
    expect(formatDate(d.toISOString())).toBe('2020-03-05')
    expect(formatDate('')).toBe('')
    expect(formatDate('not a date')).toBe('')
  })

  it('groups serial numbers by byte and pads an odd length', () => {
    expect(groupHex('459c75')).toBe('45 9c 75')
    expect(groupHex('abc')).toBe('0a bc')
  })

  it('prints fingerprints upper-case with colons', () => {
    expect(formatFingerprint('31b59a12')).toBe('31:B5:9A:12')
  })

  it('takes the last path segment on both separators', () => {
    expect(baseName('/a/b/cn=x,o=y/')).toBe('cn=x,o=y')
    expect(baseName('C:\\NPKI\\yessign\\USER\\cn=z')).toBe('cn=z')
  })
})

describe('maskAccount', () => {
  it('keeps the first three and the last four digits', () => {
    expect(maskAccount('110123456789')).toBe('110-***-**6789')
    expect(maskAccount('1101234567')).toBe('110-***-4567')
    expect(maskAccount('11012345678901')).toBe('110-***-****8901')
    expect(maskAccount('110-123-456789')).toBe('110-***-**6789')
  })
  it('masks a short number entirely', () => {
    expect(maskAccount('1234')).toBe('****')
  })
})

describe('osName', () => {
  it('names the operating system properly', () => {
    expect(osName('linux')).toBe('Linux')
    expect(osName('darwin')).toBe('macOS')
    expect(osName('win32')).toBe('Windows')
  })
})
