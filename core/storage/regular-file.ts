import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { CertError } from '../../shared/errors'
import { MAX_PFX_BYTES } from '../formats/pfx-limits'

/**
 * How every certificate, key or PFX file is opened. O_NONBLOCK makes opening a FIFO or a
 * device return at once instead of waiting for a writer that never comes (a FIFO named
 * signCert.der on a USB stick once hung the main process for good); the fstat that follows
 * refuses anything but a regular file before a byte is read. Windows has neither FIFOs nor
 * the flag (0 there).
 */
export const REGULAR_READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

/** A certificate or key file is a few kilobytes; this is generous and still bounded. */
export const MAX_CERT_FILE_BYTES = 1024 * 1024

/** A PFX file holds a few certificates and keys: the PFX reader's own limit (core/formats/pfx-limits.ts). */
export const MAX_PFX_FILE_BYTES = MAX_PFX_BYTES

function notRegular(path: string): CertError {
  return new CertError('DAMAGED', `not a regular file: ${path}`, { reason: 'not-regular-file' })
}

function tooLarge(path: string, maxBytes: number): CertError {
  return new CertError('BAD_REQUEST', `the file is larger than ${maxBytes} bytes: ${path}`, { reason: 'too-large' })
}

/**
 * Reads a regular file of at most `maxBytes` without ever blocking on what it is: FIFOs,
 * sockets and devices are refused (CertError DAMAGED, reason not-regular-file) and a file
 * over the cap is refused before it is read (BAD_REQUEST, reason too-large). File-system
 * errors (ENOENT, EACCES, ...) are thrown as they are, for the caller's own mapping.
 */
export function readRegularFileSync(path: string, maxBytes: number = MAX_CERT_FILE_BYTES): Buffer {
  const fd = openSync(path, REGULAR_READ_FLAGS)
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw notRegular(path)
    if (st.size > maxBytes) throw tooLarge(path, maxBytes)
    // Read up to one byte past the cap: a file that grows while it is read is refused too.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size, 0) + 1))
    let off = 0
    for (;;) {
      if (off === buf.length) break
      const n = readSync(fd, buf, off, buf.length - off, off)
      if (n === 0) break
      off += n
    }
    if (off > maxBytes) throw tooLarge(path, maxBytes)
    return buf.subarray(0, off)
  } finally {
    closeSync(fd)
  }
}

/** `readRegularFileSync` on the thread pool, for reads that need not be synchronous. */
export async function readRegularFile(path: string, maxBytes: number = MAX_CERT_FILE_BYTES): Promise<Buffer> {
  const fh = await open(path, REGULAR_READ_FLAGS)
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw notRegular(path)
    if (st.size > maxBytes) throw tooLarge(path, maxBytes)
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, st.size + 1))
    let off = 0
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off)
      if (bytesRead === 0) break
      off += bytesRead
    }
    if (off > maxBytes) throw tooLarge(path, maxBytes)
    return buf.subarray(0, off)
  } finally {
    await fh.close()
  }
}
