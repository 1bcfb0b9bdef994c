import { randomInt, timingSafeEqual } from 'node:crypto'

/** Korean bank security cards carry 30 or 35 numbered slots of four digits. */
export const CARD_SLOTS = 30

export interface SecurityCard {
  /** Printed on the card so a clerk can tell cards apart; not a secret. */
  serial: string
  /** slots[0] is slot 1. */
  slots: string[]
}

export function newSecurityCard(slotCount = CARD_SLOTS): SecurityCard {
  if (slotCount < 30 || slotCount > 35) throw new RangeError('a security card has 30 to 35 slots')
  const slots = Array.from({ length: slotCount }, () => String(randomInt(0, 10_000)).padStart(4, '0'))
  const serial = `${String(randomInt(0, 10_000)).padStart(4, '0')}-${String(randomInt(0, 10_000)).padStart(4, '0')}`
  return { serial, slots }
}

/**
 * Two distinct random slot numbers (1-based). The customer answers with the FIRST two digits
 * of the first slot followed by the LAST two digits of the second, as Korean banks ask.
 */
export function cardChallenge(slotCount: number): [number, number] {
  const a = randomInt(1, slotCount + 1)
  let b = randomInt(1, slotCount)
  if (b >= a) b += 1
  return [a, b]
}

export function expectedCardResponse(card: SecurityCard, challenge: [number, number]): string {
  const first = card.slots[challenge[0] - 1]
  const second = card.slots[challenge[1] - 1]
  if (first === undefined || second === undefined) throw new RangeError('slot out of range')
  return first.slice(0, 2) + second.slice(2, 4)
}

/** Accepts "1234", "12 34" or "12-34". */
export function checkCardResponse(card: SecurityCard, challenge: [number, number], response: string): boolean {
  const digits = response.replace(/[\s-]/g, '')
  if (!/^\d{4}$/.test(digits)) return false
  return timingSafeEqual(Buffer.from(digits), Buffer.from(expectedCardResponse(card, challenge)))
}

/**
 * A printable card. Plain ASCII inside the table so it lines up in any terminal (Hangul is
 * double width); the Korean title sits above it.
 */
export function renderSecurityCard(card: SecurityCard, opts: { bank: string; customerId: string }): string {
  const cols = 5
  const cell = (i: number): string => ` ${String(i + 1).padStart(2, '0')}  ${card.slots[i] ?? '    '} `
  const width = cell(0).length
  const rule = '+' + Array.from({ length: cols }, () => '-'.repeat(width)).join('+') + '+'
  const lines = [
    `${opts.bank} 보안카드 (security card)`,
    `Customer ${opts.customerId}   Card no. ${card.serial}`,
    '',
    rule,
  ]
  const rows = Math.ceil(card.slots.length / cols)
  for (let r = 0; r < rows; r++) {
    const cells: string[] = []
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c
      cells.push(i < card.slots.length ? cell(i) : ' '.repeat(width))
    }
    lines.push('|' + cells.join('|') + '|')
    lines.push(rule)
  }
  lines.push('', 'Asked for slots A and B: enter the first two digits of A, then the last two digits of B.')
  lines.push('Keep this card private. The bank never asks for all slots.')
  return lines.join('\n')
}
