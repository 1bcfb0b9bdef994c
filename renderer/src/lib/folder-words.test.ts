import { describe, expect, it } from 'vitest'
import { folderWords, whereText } from './folder-words'

const DN = 'cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr'
const place = (k: 'pc' | 'usb') => (k === 'pc' ? '하드디스크' : '이동식디스크')

describe('folderWords', () => {
  it('names place, owner and issuer of a certificate folder instead of its path', () => {
    const roots = [{ kind: 'pc', path: '/home/u/NPKI' }, { kind: 'usb', path: '/media/u/STICK/NPKI' }]
    expect(whereText(folderWords(`/home/u/NPKI/yessign/USER/${DN}`, roots), place)).toBe('하드디스크 · HKD · yessign')
    expect(whereText(folderWords(`/media/u/STICK/NPKI/yessign/USER/${DN}`, roots), place)).toBe('이동식디스크 · HKD · yessign')
    expect(whereText(folderWords(`C:\\Users\\u\\AppData\\LocalLow\\NPKI\\KICA\\USER\\cn=홍길동()0012,o=KICA,c=kr`, [{ kind: 'pc', path: 'C:\\Users\\u\\AppData\\LocalLow\\NPKI' }]), place)).toBe('하드디스크 · 홍길동 · KICA')
  })
  it('says what it can when the folder is in no known root', () => {
    expect(whereText(folderWords(`/x/NPKI/yessign/USER/${DN}`, []), place)).toBe('HKD · yessign')
    expect(whereText(folderWords('/x/y', []), place)).toBe('')
  })
})
