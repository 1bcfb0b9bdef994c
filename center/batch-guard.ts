import type { InValue } from '@libsql/client'

// Guarded batch statements, understood by both center stores (center/sqlite-client.ts,
// center/pg-client.ts).

/**
 * A batch statement that must change at least one row: when it changes none, the whole batch is
 * rolled back and `batch` throws `BatchGuardError` with this guard's name. It lets a batch carry
 * "claim X, then do Y" in one commit and, on PostgreSQL, one round trip. The statement is an
 * INSERT, UPDATE or DELETE without RETURNING; guard names are lower-case words and dashes.
 */
export interface GuardedStatement {
  sql: string
  args: InValue[]
  guard: string
}

/** A batch undone because the statement with this guard changed no row. */
export class BatchGuardError extends Error {
  constructor(readonly guard: string) {
    super(`batch guard '${guard}' failed`)
    this.name = 'BatchGuardError'
  }
}

/** The guard of a batch statement, if it has one (checked: it becomes SQL text on PostgreSQL). */
export function guardOf(s: unknown): string | undefined {
  const g = (s as { guard?: unknown } | null)?.guard
  if (g === undefined) return undefined
  if (typeof g !== 'string' || !/^[a-z][a-z0-9-]{0,40}$/.test(g)) throw new TypeError('a guard name is lower-case letters, digits and dashes')
  return g
}
