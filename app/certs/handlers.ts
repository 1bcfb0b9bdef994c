import type { appCalls } from '../../shared/contract/app'
import type { certsCalls } from '../../shared/contract/certs'
import type { settingsCalls } from '../../shared/contract/settings'
import type { Handlers } from '../handler'
import type { SettingsStore } from '../../core/settings/settings-store'
import { getFoundCert, rememberCerts } from '../../core/certs/registry'
import type { RootPolicy } from '../../core/roots/root-policy'
import type { FoundCert } from '../../core/certs/scan'
import type { z } from 'zod'
import { toDetails, toSummary } from '../../core/certs/summary'

export interface CertsDeps {
  settings: SettingsStore
  version: string
  host: 'electron' | 'web'
  center: () => { url: string; embedded: boolean }
  /** Which folders are roots (the OS's, settings', mounted drives') and what is followed. */
  roots: RootPolicy
  /**
   * The scan the list answers from: the app's shared one (scan-cache.ts), `fresh` for 새로고침.
   * Default: a new scan every call.
   */
  listing?: (fresh: boolean) => Promise<CertListing>
}

/** One scan, with the summaries the window gets made once for all who ask. */
export interface CertListing {
  certs: FoundCert[]
  response: z.input<(typeof certsCalls)['certs.list']['response']>
}

/** Scans every root and builds the list's answer. */
export async function scanListing(roots: RootPolicy): Promise<CertListing> {
  const { certs, roots: reports } = await roots.scan()
  return {
    certs,
    response: {
      certs: certs.map(toSummary),
      roots: reports.map((r) => ({ path: r.root.path, source: r.root.source, location: r.root.location, exists: r.exists, found: r.found })),
    },
  }
}

export function createCertsHandlers(deps: CertsDeps): Handlers<typeof appCalls & typeof certsCalls & typeof settingsCalls> {
  return {
    'app.info': async () => {
      const c = deps.center()
      return { version: deps.version, platform: process.platform, host: deps.host, centerUrl: c.url, centerEmbedded: c.embedded }
    },
    'certs.list': async ({ rescan }) => {
      const listing = await (deps.listing ? deps.listing(rescan === true) : scanListing(deps.roots))
      rememberCerts(listing.certs)
      return listing.response
    },
    'certs.details': async ({ id }) => toDetails(getFoundCert(id)),
    'settings.get': async () => deps.settings.get(),
    'settings.set': async (patch) => deps.settings.set(patch),
  }
}
