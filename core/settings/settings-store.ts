import { readFile } from 'node:fs/promises'
import { isAbsolute, join, win32 } from 'node:path'
import { CertError } from '../../shared/errors'
import { Settings } from '../../shared/contract/settings'
import { writeFileAtomic } from '../storage/atomic'

export const DEFAULT_SETTINGS: Settings = { language: 'ko', extraRoots: [], hideExpired: false, centerUrl: '' }

/** Settings as a JSON file in the data folder; a damaged file falls back to defaults. */
export class SettingsStore {
  private cache?: Settings
  constructor(private readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'settings.json')
  }

  async get(): Promise<Settings> {
    if (this.cache) return this.cache
    try {
      const parsed = Settings.partial().safeParse(JSON.parse(await readFile(this.file, 'utf8')))
      this.cache = { ...DEFAULT_SETTINGS, ...(parsed.success ? parsed.data : {}) }
    } catch {
      this.cache = { ...DEFAULT_SETTINGS }
    }
    return this.cache
  }

  async set(patch: Partial<Settings>): Promise<Settings> {
    // Extra roots widen where main may write certificates, so only NPKI folders are accepted:
    // an absolute path whose last part is NPKI (as on drives and in every OS default).
    for (const root of patch.extraRoots ?? []) {
      const last = root.split(/[\\/]+/).filter(Boolean).pop() ?? ''
      if (!(isAbsolute(root) || win32.isAbsolute(root)) || last.toUpperCase() !== 'NPKI') {
        throw new CertError('BAD_REQUEST', `an extra folder must be an NPKI folder given by its full path: ${root}`, { reason: 'not-npki' })
      }
    }
    // A remote center is reached over https; plain http only on this computer.
    if (patch.centerUrl) {
      let u: URL | undefined
      try {
        u = new URL(patch.centerUrl)
      } catch {
        u = undefined
      }
      const loopback = u && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
      if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && loopback))) {
        throw new CertError('BAD_REQUEST', 'the certification center address must start with https:// (http:// only for this computer)', { reason: 'center-url' })
      }
    }
    const next = Settings.parse({ ...(await this.get()), ...patch })
    await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify(next, null, 2)))
    this.cache = next
    return next
  }
}
