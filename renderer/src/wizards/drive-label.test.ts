import { describe, expect, it } from 'vitest'
import { driveOptionText, middleEllipsis } from './drive-label'

describe('drive labels in the location dropdown', () => {
  it('keeps a short path whole', () => {
    expect(middleEllipsis('/media/USB', 36)).toBe('/media/USB')
    expect(driveOptionText({ label: 'USB', path: '/media/USB' })).toBe('USB (/media/USB)')
  })

  it('cuts a long path in the middle so its start and its drive name both show', () => {
    const path = '/tmp/certmgr-wizard-drive-aBcDeF/media/KINGSTON_32GB'
    const short = middleEllipsis(path, 30)
    expect(Array.from(short)).toHaveLength(30)
    expect(short.startsWith('/tmp/certmgr-')).toBe(true)
    expect(short.endsWith('KINGSTON_32GB')).toBe(true)
    expect(short).toContain('…')
    expect(driveOptionText({ label: 'USB', path }, 30)).toBe(`USB (${short})`)
  })

  it('counts characters, not UTF-16 units, so a Korean or emoji name is not split', () => {
    const path = `/media/${'이동식디스크'.repeat(6)}😀`
    const short = middleEllipsis(path, 12)
    expect(Array.from(short)).toHaveLength(12)
    expect(short.endsWith('😀')).toBe(true)
  })
})
