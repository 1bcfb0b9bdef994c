import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { contract } from '../../shared/contract/index'
import { CALL_NAMES } from './call-names'
import { CALL_NAMES_FILE, callNamesSource } from './gen-call-names'

describe('the preload call names', () => {
  it('are exactly the contract names (run gen-call-names.ts after changing the contract)', () => {
    expect([...CALL_NAMES].sort()).toEqual(Object.keys(contract).sort())
    expect(readFileSync(CALL_NAMES_FILE, 'utf8')).toBe(callNamesSource())
  })
})
