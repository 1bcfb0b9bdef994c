import { z } from 'zod'
import { call, Empty } from './define'

// The settings area: what the user chose (language, extra NPKI folders, center address).

export const Settings = z.object({
  language: z.enum(['ko', 'en']),
  extraRoots: z.array(z.string().min(1).max(4096)).max(64),
  hideExpired: z.boolean(),
  /** Empty: the embedded center. */
  centerUrl: z.string().max(2048),
})
export type Settings = z.infer<typeof Settings>

export const settingsCalls = {
  'settings.get': call(Empty, Settings),
  'settings.set': call(Settings.partial().strict(), Settings),
}
