import { describe, expect, it } from 'vitest'
import { codeInMessage } from './outbox-code'

describe('codeInMessage', () => {
  it('reads the code of an SMS and of an ARS script', () => {
    expect(codeInMessage('[CertMgr 인증센터] 인증번호 042917 (3분 이내 입력)')).toBe('042917')
    expect(codeInMessage('[CertMgr 인증센터] ARS 전화 안내: 인증번호는 0 4 2 9 1 7 입니다.')).toBe('042917')
  })
  it('finds nothing in a message without a code', () => {
    expect(codeInMessage('고객 등록을 마쳤습니다.')).toBe('')
    expect(codeInMessage('인증번호 12345')).toBe('')
  })
})
