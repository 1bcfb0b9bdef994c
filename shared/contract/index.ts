import type { z } from 'zod'
import type { CallDef } from './define'

// The whole API: each area declares its calls in a file named after it ('certs.list' in
// certs.ts, 'token.list' in token.ts); they are merged here.
import { appCalls } from './app'
import { certsCalls } from './certs'
import { centerCalls } from './center'
import { enrollCalls } from './enroll'
import { filesCalls } from './files'
import { keysCalls } from './keys'
import { pfxCalls } from './pfx'
import { remindersCalls } from './reminders'
import { settingsCalls } from './settings'
import { storageCalls } from './storage'
import { tokenCalls } from './token'
import { transferCalls } from './transfer'

export const contract = {
  ...appCalls,
  ...certsCalls,
  ...centerCalls,
  ...enrollCalls,
  ...filesCalls,
  ...keysCalls,
  ...pfxCalls,
  ...remindersCalls,
  ...settingsCalls,
  ...storageCalls,
  ...tokenCalls,
  ...transferCalls,
} satisfies Record<string, CallDef>

export type Contract = typeof contract
export type CallName = keyof Contract
export type RequestOf<N extends CallName> = z.input<Contract[N]['request']>
export type ResponseOf<N extends CallName> = z.output<Contract[N]['response']>
