import { existsSync, readdirSync, statSync, type Dirent, type Stats } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'
import { isInside, realPathOf, rootIsFollowed } from '../roots/links'
import { readRegularFileSync } from '../storage/regular-file'
import { folderId } from './identity'
import { certState, daysLeft, type CertState } from '../../shared/cert-state'
import { kindOf, type CertKind } from '../../shared/policy'
import { CertError } from '../../shared/errors'
import { parseCertificate, type CertFacts } from './parse'
import type { NpkiRoot } from './roots'

/** One certificate folder found under an NPKI root, parsed or marked damaged. */
export interface FoundCert {
  /** Its handle: follows the real folder (device, inode and real path), not the path string. */
  id?: string
  path: string
  root: NpkiRoot
  /** The CA folder it was found in (may differ from the certificate's own issuer O=). */
  caDir: string
  files: string[]
  facts?: CertFacts
  damaged?: string
  hasKey: boolean
  hasKmPair: boolean
  state: CertState
  kind: CertKind
  daysLeft?: number
}

export interface RootReport {
  root: NpkiRoot
  exists: boolean
  found: number
}

/**
 * The visible sub-folders of `real` (a real folder inside `rootReal`), each with its own real
 * path. A link is followed only when it stays inside the root: a stick whose `NPKI/yessign`
 * links to the PC's `NPKI/yessign` must not show the PC's certificates as the stick's.
 */
function subFolders(real: string, rootReal: string): { name: string; real: string }[] {
  let entries: Dirent[]
  try {
    entries = readdirSync(real, { withFileTypes: true })
  } catch {
    return []
  }
  const out: { name: string; real: string }[] = []
  for (const d of entries) {
    if (d.name.startsWith('.')) continue
    if (d.isDirectory()) out.push({ name: d.name, real: join(real, d.name) })
    else if (d.isSymbolicLink()) {
      const target = realPathOf(join(real, d.name))
      if (target === undefined || !isInside(rootReal, target) || target === rootReal) continue
      if (!isDirectory(target)) continue
      out.push({ name: d.name, real: target })
    }
  }
  return out
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false // missing, unreadable or a drive that just went away
  }
}

/**
 * The names of a certificate folder's files that can be read: regular files, or links to one
 * that stay inside `rootReal` when given (a stick's signCert.der linked to the PC's must not
 * show the PC's certificate as the stick's).
 */
function regularFiles(path: string, rootReal?: string): { files: string[]; odd: string[]; away: string[] } {
  const files: string[] = []
  const odd: string[] = []
  const away: string[] = []
  let entries: Dirent[]
  try {
    entries = readdirSync(path, { withFileTypes: true })
  } catch {
    return { files, odd, away } // reported as missing files below
  }
  for (const d of entries) {
    if (d.name.startsWith('.')) continue
    if (d.isFile()) files.push(d.name)
    else if (d.isSymbolicLink()) {
      let isFile: boolean
      try {
        isFile = statSync(join(path, d.name)).isFile()
      } catch {
        isFile = false
      }
      const target = isFile && rootReal !== undefined ? realPathOf(join(path, d.name)) : undefined
      if (isFile && rootReal !== undefined && (target === undefined || !isInside(rootReal, target))) away.push(d.name)
      else (isFile ? files : odd).push(d.name)
    } else if (!d.isDirectory()) odd.push(d.name) // a FIFO, socket or device: never opened
  }
  return { files, odd, away }
}

/**
 * Reads one certificate folder; never throws, a problem becomes `damaged`. `rootReal` (the
 * root's real path, when scanning) keeps file links from reaching out of the root.
 */
export function readCertFolder(path: string, root: NpkiRoot, caDir: string, now: Date = new Date(), rootReal?: string): FoundCert {
  const { files, odd, away } = regularFiles(path, rootReal)
  const lower = new Map(files.map((f) => [f.toLowerCase(), f]))
  const oddLower = new Set(odd.map((f) => f.toLowerCase()))
  const awayLower = new Set(away.map((f) => f.toLowerCase()))
  /** Why a file that should be there cannot be used. */
  const absent = (name: string): string =>
    awayLower.has(name.toLowerCase()) ? `${name} is a link out of its NPKI folder` : oddLower.has(name.toLowerCase()) ? `${name} is not a regular file` : `${name} is missing`
  const certName = lower.get('signcert.der')
  const base = { path, root, caDir, files, hasKey: lower.has('signpri.key'), hasKmPair: lower.has('kmcert.der') && lower.has('kmpri.key') }
  if (!certName) {
    return { ...base, damaged: absent('signCert.der'), state: 'damaged', kind: 'other' }
  }
  let facts: CertFacts
  try {
    facts = parseCertificate(readRegularFileSync(join(path, certName)))
  } catch (err) {
    const reason = err instanceof CertError ? (err.params?.reason === 'not-regular-file' ? 'signCert.der is not a regular file' : err.code === 'DAMAGED' ? 'signCert.der is corrupt' : 'signCert.der could not be read') : 'signCert.der could not be read'
    return { ...base, damaged: reason, state: 'damaged', kind: 'other' }
  }
  const kind = kindOf(facts.policyOid)
  const left = daysLeft(facts.notAfter, now)
  if (!base.hasKey) return { ...base, facts, damaged: absent('signPri.key'), state: 'damaged', kind, daysLeft: left }
  return { ...base, facts, state: certState(facts.notBefore, facts.notAfter, now), kind, daysLeft: left }
}

/**
 * Walks `<root>/<CA>/USER/<DN>/` for every root. `USER` is matched in any case (NPKI.md §1).
 * Synchronous on purpose: small reads of local files are several times faster without the
 * thread-pool round trips, and a thousand certificates scan in milliseconds.
 */
export function scanRoots(roots: NpkiRoot[], now: Date = new Date()): { certs: FoundCert[]; roots: RootReport[] } {
  const certs: FoundCert[] = []
  const reports: RootReport[] = []
  // One entry per real folder, however many roots or in-root links lead to it.
  const seen = new Set<string>()
  for (const root of roots) {
    const rootReal = rootIsFollowed(root) ? realPathOf(root.path) : undefined
    const exists = rootReal !== undefined && isDirectory(rootReal)
    const before = certs.length
    if (exists) {
      for (const ca of subFolders(rootReal, rootReal)) {
        for (const user of subFolders(ca.real, rootReal)) {
          if (user.name.toLowerCase() !== 'user') continue
          for (const dn of subFolders(user.real, rootReal)) {
            let st: Stats
            try {
              st = statSync(dn.real)
            } catch {
              continue
            }
            const key = `${st.dev}:${st.ino}`
            if (seen.has(key)) continue
            seen.add(key)
            // Shown (and later written or deleted) by its link-free path below the root.
            const shown = join(root.path, relative(rootReal, dn.real))
            const found = readCertFolder(shown, root, basename(dirname(dirname(dn.real))), now, rootReal)
            found.id = folderId(dn.real, st)
            certs.push(found)
          }
        }
      }
    }
    reports.push({ root, exists, found: certs.length - before })
  }
  return { certs, roots: reports }
}

export function isCertFolder(path: string): boolean {
  return existsSync(join(path, 'signCert.der')) || existsSync(join(path, 'signcert.der'))
}
