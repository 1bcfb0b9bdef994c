/**
 * A fetch answer's body, read only up to `max` bytes: undefined past that, and the rest is
 * never read (the connection is dropped). `arrayBuffer()` and `json()` read whatever a center
 * sends, and a chunked answer has no length to check first.
 */
export async function boundedBody(res: Response, max: number): Promise<Uint8Array | undefined> {
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel().catch(() => undefined)
    return undefined
  }
  if (!res.body) return new Uint8Array()
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  return new Uint8Array(Buffer.concat(chunks))
}
