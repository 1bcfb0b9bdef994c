import type { Row } from '@libsql/client'

// Both center stores (the local SQLite file and PostgreSQL) hand back rows in this one shape, so
// the CA, the RA and the CMP service cannot tell them apart.

/** A row as @libsql/client gives it: values by column name and by index, blobs as ArrayBuffer. */
export function toRow(values: unknown[], columns: string[]): Row {
  const row: Record<string | number, unknown> = {}
  Object.defineProperty(row, 'length', { value: values.length, enumerable: false })
  for (let i = 0; i < values.length; i++) {
    let v = values[i]
    if (Buffer.isBuffer(v)) v = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)
    Object.defineProperty(row, i, { value: v, enumerable: false })
    const name = columns[i]!
    if (!Object.prototype.hasOwnProperty.call(row, name)) Object.defineProperty(row, name, { value: v, enumerable: true, configurable: true, writable: true })
  }
  return row as unknown as Row
}
