import { describe, expect, it } from 'vitest'
import { commandGroups, loadAllCommands } from './index'

describe('command groups', () => {
  it('name exactly the commands their files define, so every command can be found before its file loads', async () => {
    for (const g of commandGroups) expect((await g.load()).map((c) => c.name)).toEqual(g.names)
  })

  it('never name a command twice', async () => {
    const names = (await loadAllCommands()).map((c) => c.name)
    expect(new Set(names).size).toBe(names.length)
  })
})
