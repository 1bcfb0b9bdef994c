import { z } from 'zod'
import { call, Empty } from './define'

// The app area: what the app is and where it runs.

export const appCalls = {
  'app.info': call(
    Empty,
    z.object({ version: z.string(), platform: z.string(), host: z.enum(['electron', 'web']), centerUrl: z.string(), centerEmbedded: z.boolean() }),
  ),
}
