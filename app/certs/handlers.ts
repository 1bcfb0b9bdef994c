import { certsCalls } from '../../shared/contract/certs'
import type { Handlers } from '../handler'
import type { SettingsStore } from '../../core/settings/settings-store'
import { getFoundCert, rememberCerts } from '../../core/certs/registry'
import { npkiRoots } from '../../core/certs/roots'
import { scanRoots } from '../../core/certs/scan'
import { toDetails, toSummary } from '../../core/certs/summary'

export interface CertsDeps {
  settings: SettingsStore
  version: string
  host: 'electron' | 'web'
  center: () => { url: string; embedded: boolean }
  /** Mounted removable drives' NPKI roots (from the drive watcher when present). */
  driveRoots?: () => { path: string; label?: string }[]
}

export function createCertsHandlers(deps: CertsDeps): Handlers<Omit<typeof certsCalls, 'reminders.list'>> {
  return {
    'app.info': async () => {
      const c = deps.center()
      return { version: deps.version, platform: process.platform, host: deps.host, centerUrl: c.url, centerEmbedded: c.embedded }
    },
    'certs.list': async () => {
      const s = await deps.settings.get()
      const roots = npkiRoots({ extra: s.extraRoots, drives: deps.driveRoots?.() })
      const { certs, roots: reports } = scanRoots(roots)
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
