/**
 * Serialises async sections in this process. SQLite calls through @libsql/client are synchronous
 * underneath, so two interleaved interactive transactions on pooled connections would block the
 * event loop against each other; the CA keeps read-check-write sequences behind this lock instead.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve()

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail
    let release!: () => void
    this.tail = new Promise<void>((r) => (release = r))
    await prev
    try {
      return await fn()
    } finally {
      release()
    }
  }
}
