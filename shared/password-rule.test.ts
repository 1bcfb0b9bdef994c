import { describe, expect, it } from 'vitest'
import { checkNewPassword, type PasswordRule } from './password-rule'

const ruleOf = (pw: string): PasswordRule | 'ok' => {
  const r = checkNewPassword(pw)
  return r.ok ? 'ok' : r.rule
}

describe('checkNewPassword', () => {
  it.each(['Abed#1357x', 'q1w2e3r4!!', 'WTuA8Ev0lWXVFSiI!', 'zyx#9876@a', 'a1!' + 'x9Y'.repeat(20) + 'b', 'acegikmo1$', 'Ab1~Ab1~Ab1~'])('accepts %s', (pw) => {
    expect(checkNewPassword(pw)).toEqual({ ok: true })
  })

  it('enforces 10 to 64 characters', () => {
    expect(ruleOf('Ab1!xz9#q')).toBe('length') // 9
    expect(ruleOf('Ab1!xz9#qw')).toBe('ok') // 10
    const sixtyFour = 'Ab1!' + 'x5#k'.repeat(15)
    expect(sixtyFour).toHaveLength(64)
    expect(ruleOf(sixtyFour)).toBe('ok')
    expect(ruleOf(sixtyFour + 'q')).toBe('length')
    expect(ruleOf('')).toBe('length')
  })

  it('requires a letter, a digit and a special character', () => {
    expect(ruleOf('1357924680!@')).toBe('letter')
    expect(ruleOf('qwerty!@#$%zz')).toBe('digit')
    expect(ruleOf('qwerty13579zz')).toBe('special')
  })

  it.each(["Ab1!xz9#q'w", 'Ab1!xz9#q"w', 'Ab1!xz9#q\\w', 'Ab1!xz9#q|w', 'Ab1!xz9# qw', 'Ab1!xz9#한글', 'Ab1!xz9#\tq'])('refuses forbidden characters in %s', (pw) => {
    const r = checkNewPassword(pw)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.rule).toBe('forbidden-char')
    expect(!r.ok && r.message.length).toBeGreaterThan(0)
  })

  it('refuses a character three times in a row, but allows two', () => {
    expect(ruleOf('Ab1!xz9#qqq')).toBe('repeat')
    expect(ruleOf('Ab1!!!z9#qw')).toBe('repeat')
    expect(ruleOf('Ab1!xz9#q777')).toBe('repeat')
    expect(ruleOf('Ab1!!xz9#qq')).toBe('ok')
    expect(ruleOf('Ab1!xz9#qQq')).toBe('ok') // case differs: not the same character
  })

  it('refuses three ascending letters or digits in a row', () => {
    expect(ruleOf('Xabc!9q7w5')).toBe('sequence')
    expect(ruleOf('Xq!123w9z5')).toBe('sequence')
    expect(ruleOf('XaBc!9q7w5')).toBe('sequence')
    expect(ruleOf('Xq!789w9z5')).toBe('sequence')
    expect(ruleOf('Xq!xyz@9z5')).toBe('sequence')
    expect(ruleOf('Xq!cba@9z5')).toBe('ok') // descending is allowed
    expect(ruleOf('Xq!890@9z5')).toBe('ok') // 9 → 0 does not ascend
    expect(ruleOf('Xq!#$%@9z5')).toBe('ok') // symbols are not a sequence
    expect(ruleOf('Xq!12@9z5w')).toBe('ok')
  })

  it('returns an English message for every failure', () => {
    for (const pw of ['short', '1234567890', 'abcdefghij1', 'abdfhjln13', "Ab1!xz9#q'w"]) {
      const r = checkNewPassword(pw)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.message).toMatch(/^[\x20-\x7e]+$/)
    }
  })
})
