import { describe, expect, it } from 'vitest'
import { api, callEarly, createApi, setApi, type Bridge } from './client'

describe('calls sent before the app is built', () => {
  it('are handed to the first identical call of the app, once, and never to a different one', async () => {
    const sent: string[] = []
    const bridge: Bridge = {
      invoke: async (name, payload) => {
        sent.push(`${name} ${JSON.stringify(payload)}`)
        return { ok: true, value: { n: sent.length } }
      },
      onEvent: () => () => undefined,
    }
    window.certmgr = bridge
    setApi(createApi(bridge))
    callEarly('certs.list', { rescan: false })
    expect(sent).toEqual(['certs.list {"rescan":false}'])
    expect(await api().call('certs.list', { rescan: true })).toEqual({ n: 2 })
    expect(await api().call('certs.list', { rescan: false })).toEqual({ n: 1 })
    expect(await api().call('certs.list', { rescan: false })).toEqual({ n: 3 })
    expect(sent).toHaveLength(3)
    delete window.certmgr
  })
  it('report a failure through the app call that takes them', async () => {
    const bridge: Bridge = {
      invoke: async () => ({ ok: false, error: { code: 'IO', message: 'disk gone' } }),
      onEvent: () => () => undefined,
    }
    window.certmgr = bridge
    setApi(createApi(bridge))
    callEarly('settings.get', {})
    await expect(api().call('settings.get', {})).rejects.toMatchObject({ code: 'IO' })
    delete window.certmgr
  })
})
