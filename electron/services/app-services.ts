import { EventEmitter } from 'node:events'
import { contract } from '../../shared/contract/index'
import type { AppEvent } from '../../shared/contract/progress'
import { createCertsHandlers } from './certs/handlers'
import { createDispatcher, type Dispatch } from './dispatch'
import { SettingsStore } from './settings/settings-store'

export interface AppServices {
  dispatch: Dispatch
  /** Every event for the UI goes through here; hosts forward it to their windows. */
  events: EventEmitter<{ event: [AppEvent] }>
  settings: SettingsStore
  close(): Promise<void>
}

export interface AppServicesOptions {
  dataDir: string
  host: 'electron' | 'web'
  version: string
}

/** Builds every main-process service once; Electron and the browser host both call this. */
export async function createAppServices(opts: AppServicesOptions): Promise<AppServices> {
  const events = new EventEmitter<{ event: [AppEvent] }>()
  const settings = new SettingsStore(opts.dataDir)
  const center = { url: '', embedded: true }
  const handlers = {
    ...createCertsHandlers({ settings, version: opts.version, host: opts.host, center: () => center }),
  }
  const dispatch = createDispatcher(contract, handlers as never)
  return {
    dispatch,
    events,
    settings,
    async close() {},
  }
}
