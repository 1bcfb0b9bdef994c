import { describe, expect, it } from 'vitest'
import { CertError } from '../errors'
import { isReasonOf, REASONS } from '../reasons'
import type { ReasonSentences } from './reason-sentences'
import { REASONS_EN } from './reasons-en'
import { REASONS_KO } from './reasons-ko'

describe('failure reasons', () => {
  it('every reason of every code has a Korean and an English sentence, and nothing else does', () => {
    for (const map of [REASONS_KO, REASONS_EN]) {
      expect(Object.keys(map).sort()).toEqual(Object.keys(REASONS).sort())
      for (const [code, reasons] of Object.entries(REASONS)) {
        const sentences = (map as Record<string, Record<string, string>>)[code]!
        expect(Object.keys(sentences).sort(), code).toEqual([...reasons].sort())
        for (const r of reasons) expect(sentences[r]!.length, `${code}.${r}`).toBeGreaterThan(10)
      }
    }
  })

  it('the same condition has one name: no-randomnum, never no-random-num', () => {
    const all = Object.values(REASONS).flat() as string[]
    expect(all).toContain('no-randomnum')
    expect(all).not.toContain('no-random-num')
  })

  it('is a type error to throw a reason not listed for the code, or to leave one without a sentence', () => {
    // @ts-expect-error 'no-random-num' is not a reason at all
    expect(new CertError('UNSUPPORTED', 'x', { reason: 'no-random-num' }).code).toBe('UNSUPPORTED')
    // @ts-expect-error 'identity' is a FORBIDDEN reason, not an IO one
    expect(new CertError('IO', 'x', { reason: 'identity' }).code).toBe('IO')
    // @ts-expect-error NETWORK's 'no-center' has no sentence in this map
    const missing: ReasonSentences = { ...REASONS_EN, NETWORK: { unreachable: 'The center could not be reached. Check the network.' } }
    expect(missing.NETWORK.unreachable).toBeTruthy()
  })

  it('checks a reason that arrived over the wire against its code', () => {
    expect(isReasonOf('FORBIDDEN', 'identity')).toBe(true)
    expect(isReasonOf('IO', 'identity')).toBe(false)
    expect(isReasonOf('INTERNAL', 'identity')).toBe(false)
    expect(isReasonOf('FORBIDDEN', 42)).toBe(false)
  })
})

describe('reasonSentence', () => {
  it('fills the sentence from the params, in either language', async () => {
    const { reasonSentence } = await import('./reason-text')
    const info = { code: 'CENTER', params: { reason: 'balance', requiredKrw: 4400 } } as const
    expect(reasonSentence('en', info)).toContain('4400 KRW')
    expect(reasonSentence('ko', info)).toContain('4400원')
    expect(reasonSentence('en', { code: 'IO', params: { reason: 'identity' } })).toBeUndefined()
    expect(reasonSentence('en', { code: 'IO' })).toBeUndefined()
  })
})
