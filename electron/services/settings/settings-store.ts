import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Settings } from '../../../shared/contract/certs'
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
    const next = Settings.parse({ ...(await this.get()), ...patch })
    await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify(next, null, 2)))
    this.cache = next
    return next
  }
}
