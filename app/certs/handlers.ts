import type { appCalls } from '../../shared/contract/app'
import type { certsCalls } from '../../shared/contract/certs'
import type { settingsCalls } from '../../shared/contract/settings'
import type { Handlers } from '../handler'
import type { SettingsStore } from '../../core/settings/settings-store'
import { getFoundCert, rememberCerts } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import { toDetails, toSummary } from '../../core/certs/summary'

export interface CertsDeps {
  settings: SettingsStore
  version: string
  host: 'electron' | 'web'
  center: () => { url: string; embedded: boolean }
  /** Which folders are roots (the OS's, settings', mounted drives') and what is followed. */
  roots: RootPolicy
}

export function createCertsHandlers(deps: CertsDeps): Handlers<typeof appCalls & typeof certsCalls & typeof settingsCalls> {
  return {
    'app.info': async () => {
      const c = deps.center()
      return { version: deps.version, platform: process.platform, host: deps.host, centerUrl: c.url, centerEmbedded: c.embedded }
    },
    'certs.list': async () => {
      const { certs, roots: reports } = await deps.roots.scan()
      rememberCerts(certs)
      return {
        certs: certs.map(toSummary),
        roots: reports.map((r) => ({ path: r.root.path, source: r.root.source, location: r.root.location, exists: r.exists, found: r.found })),
      }
    },
    'certs.details': async ({ id }) => toDetails(getFoundCert(id)),
    'settings.get': async () => deps.settings.get(),
    'settings.set': async (patch) => deps.settings.set(patch),
  }
}
