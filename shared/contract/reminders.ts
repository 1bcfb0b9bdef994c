import { z } from 'zod'
import { call, Empty } from './define'

// The reminders area: expiry reminders of the latest daily check.

export const remindersCalls = {
  /** Expiry reminders of the latest daily check (the renderer shows them as a banner). */
  'reminders.list': call(Empty, z.object({ reminders: z.array(z.object({ certId: z.string(), daysLeft: z.number().int(), milestone: z.enum(['window', 'd7', 'd1']) })) })),
}
