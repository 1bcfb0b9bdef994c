import type { z } from 'zod'
import type { CallDef } from './define'

// The whole API: each capability declares its calls in its own file; they are merged here.
import { certsCalls } from './certs'
import { centerCalls } from './center'
import { enrollCalls } from './enroll'
import { keysCalls } from './keys'
import { pfxCalls } from './pfx'
import { storageCalls } from './storage'
import { transferCalls } from './transfer'

export const contract = {
  ...certsCalls,
  ...centerCalls,
  ...enrollCalls,
  ...keysCalls,
  ...pfxCalls,
  ...storageCalls,
  ...transferCalls,
} satisfies Record<string, CallDef>

export type Contract = typeof contract
export type CallName = keyof Contract
export type RequestOf<N extends CallName> = z.input<Contract[N]['request']>
export type ResponseOf<N extends CallName> = z.output<Contract[N]['response']>
