import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contract } from './index'

describe('contract files', () => {
  it('each file defines the calls of the area it is named after, and together they are the contract', async () => {
    const dir = import.meta.dirname
    const seen: string[] = []
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>
      const area = basename(file, '.ts')
      for (const [name, value] of Object.entries(mod)) {
        if (!name.endsWith('Calls') || typeof value !== 'object' || value === null) continue
        expect(name, file).toBe(`${area}Calls`)
        for (const call of Object.keys(value)) {
          expect(call.split('.')[0], `${call} in ${file}`).toBe(area)
          seen.push(call)
        }
      }
    }
    expect(seen.sort()).toEqual(Object.keys(contract).sort())
  })
})
