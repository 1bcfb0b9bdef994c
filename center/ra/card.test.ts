import { describe, expect, it } from 'vitest'
import { cardChallenge, checkCardResponse, expectedCardResponse, newSecurityCard, renderSecurityCard } from './card'

describe('security card', () => {
  it('has 30 numbered slots of four digits and a card number', () => {
    const card = newSecurityCard()
    expect(card.slots).toHaveLength(30)
    for (const s of card.slots) expect(s).toMatch(/^\d{4}$/)
    expect(card.serial).toMatch(/^\d{4}-\d{4}$/)
    expect(newSecurityCard(35).slots).toHaveLength(35)
    expect(() => newSecurityCard(20)).toThrow()
  })

  it('asks for two different slots within the card', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 500; i++) {
      const [a, b] = cardChallenge(30)
      expect(a).not.toBe(b)
      for (const x of [a, b]) {
        expect(x).toBeGreaterThanOrEqual(1)
        expect(x).toBeLessThanOrEqual(30)
        seen.add(x)
      }
    }
    expect(seen.size).toBe(30)
  })

  it('wants the first two digits of the first slot and the last two of the second', () => {
    const card = { serial: '0000-0000', slots: Array.from({ length: 30 }, (_, i) => String(1000 + i * 37).padStart(4, '0')) }
    card.slots[11] = '4821'
    card.slots[26] = '9035'
    expect(expectedCardResponse(card, [12, 27])).toBe('4835')
    expect(checkCardResponse(card, [12, 27], '4835')).toBe(true)
    expect(checkCardResponse(card, [12, 27], '48 35')).toBe(true)
    expect(checkCardResponse(card, [12, 27], '48-35')).toBe(true)
    expect(checkCardResponse(card, [12, 27], '4890')).toBe(false)
    expect(checkCardResponse(card, [27, 12], '4835')).toBe(false)
    expect(checkCardResponse(card, [12, 27], '483')).toBe(false)
    expect(checkCardResponse(card, [12, 27], '')).toBe(false)
  })

  it('prints as an aligned table with every slot number and value', () => {
    const card = newSecurityCard()
    const text = renderSecurityCard(card, { bank: 'CertMgr 인증센터', customerId: 'C123456789' })
    expect(text).toContain('C123456789')
    expect(text).toContain(card.serial)
    const tableLines = text.split('\n').filter((l) => l.startsWith('|') || l.startsWith('+'))
    expect(tableLines.length).toBe(13)
    expect(new Set(tableLines.map((l) => l.length)).size).toBe(1)
    card.slots.forEach((v, i) => expect(text).toContain(`${String(i + 1).padStart(2, '0')}  ${v}`))
  })
})
