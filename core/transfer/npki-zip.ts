import { unzipSync, type UnzipFileInfo } from 'fflate'
import { CertError } from '../../shared/errors'
import { manifestProblem, NPKI_NAMES, NPKI_ZIP_NAME, type TransferFile, type TransferFormat } from '../../shared/cpace/transfer'

/** More entries than an NPKI folder (four files and a folder) plus slack for a parent folder. */
export const MAX_ZIP_ENTRIES = 8
/** Largest unpacked file: certificates and key files are a few KB each. */
export const MAX_ZIP_FILE_BYTES = 64 * 1024

const damaged = (why: string) => new CertError('DAMAGED', `the zip is refused: ${why}`)

/**
 * The name an entry may have: one of the NPKI file names, at the top or one folder deep
 * (the certificate folder, e.g. "cn=홍길동(...)/signCert.der"), or that folder itself.
 * Returns the bare file name, '' for the folder entry, or a reason to refuse.
 */
function entryName(name: string): { file: string } | { refuse: string } {
  if (name.includes('\\') || name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\0')) return { refuse: `unsafe path "${name}"` }
  const parts = name.split('/')
  if (parts.some((p) => p === '..' || p === '.')) return { refuse: `unsafe path "${name}"` }
  if (parts.length === 2 && parts[1] === '' && parts[0] !== '') return { file: '' }
  if (parts.length > 2 || parts.some((p) => p === '')) return { refuse: `"${name}" is not at the top or one folder deep` }
  const file = parts[parts.length - 1]!
  if (!(NPKI_NAMES as readonly string[]).includes(file)) return { refuse: `unexpected file "${name}" (only signCert.der, signPri.key, kmCert.der, kmPri.key)` }
  return { file }
}

/**
 * Unpacks an NPKI folder zip into its files. Bounded before any byte is inflated: the entry
 * count, each declared size, and the names (no traversal, no other files, one folder at most);
 * fflate inflates into a buffer of the declared size, so a lying size cannot grow the output.
 * Every refusal is one DAMAGED line.
 */
export function unpackNpkiZip(zip: Uint8Array): TransferFile[] {
  const files = new Map<string, string>()
  let folder: string | undefined
  let entries = 0
  const filter = (f: UnzipFileInfo): boolean => {
    if (++entries > MAX_ZIP_ENTRIES) throw damaged(`more than ${MAX_ZIP_ENTRIES} entries`)
    const n = entryName(f.name)
    if ('refuse' in n) throw damaged(n.refuse)
    if (n.file === '') return false
    if (f.originalSize > MAX_ZIP_FILE_BYTES || f.size > MAX_ZIP_FILE_BYTES) throw damaged(`"${f.name}" is larger than ${MAX_ZIP_FILE_BYTES / 1024} KB`)
    if (f.compression !== 0 && f.compression !== 8) throw damaged(`"${f.name}" uses an unsupported compression`)
    const dir = f.name.slice(0, f.name.length - n.file.length)
    if (folder !== undefined && folder !== dir) throw damaged('the files are in different folders')
    folder = dir
    if ([...files.values()].includes(n.file)) throw damaged(`"${n.file}" appears twice`)
    files.set(f.name, n.file)
    return true
  }
  let out: Record<string, Uint8Array>
  try {
    out = unzipSync(zip, { filter })
  } catch (err) {
    if (err instanceof CertError) throw err
    throw damaged('it is not a readable zip file')
  }
  const result: TransferFile[] = []
  for (const [entry, name] of files) {
    const data = out[entry]
    if (!data || data.length === 0) throw damaged(`"${entry}" is empty or damaged`)
    result.push({ name, data })
  }
  const problem = manifestProblem({ v: 1, format: 'npki', files: result.map((f) => ({ name: f.name, size: f.data.length })) })
  if (problem) throw damaged(problem)
  return result
}

/** A received NPKI zip becomes the NPKI files inside it; anything else passes through unchanged. */
export function expandReceived(format: TransferFormat, files: TransferFile[]): TransferFile[] {
  if (format !== 'npki' || files.length !== 1 || files[0]!.name !== NPKI_ZIP_NAME) return files
  return unpackNpkiZip(files[0]!.data)
}
