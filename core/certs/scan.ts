import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { certState, daysLeft, type CertState } from '../../shared/cert-state'
import { kindOf, type CertKind } from '../../shared/policy'
import { CertError } from '../../shared/errors'
import { parseCertificate, type CertFacts } from './parse'
import type { NpkiRoot } from './roots'

/** One certificate folder found under an NPKI root, parsed or marked damaged. */
export interface FoundCert {
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false // missing, unreadable or a drive that just went away
  }
}

function listDirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((d) => (d.isDirectory() || d.isSymbolicLink()) && !d.name.startsWith('.'))
      .map((d) => d.name)
  } catch {
    return []
  }
}

/** Reads one certificate folder; never throws, a problem becomes `damaged`. */
export function readCertFolder(path: string, root: NpkiRoot, caDir: string, now: Date = new Date()): FoundCert {
  let files: string[] = []
  try {
    files = readdirSync(path).filter((f) => !f.startsWith('.'))
  } catch {
    /* reported as missing files below */
  }
  const lower = new Map(files.map((f) => [f.toLowerCase(), f]))
  const certName = lower.get('signcert.der')
  const base = { path, root, caDir, files, hasKey: lower.has('signpri.key'), hasKmPair: lower.has('kmcert.der') && lower.has('kmpri.key') }
  if (!certName) return { ...base, damaged: 'signCert.der is missing', state: 'damaged', kind: 'other' }
  let facts: CertFacts
  try {
    facts = parseCertificate(readFileSync(join(path, certName)))
  } catch (err) {
    return { ...base, damaged: err instanceof CertError ? 'signCert.der is corrupt' : 'signCert.der could not be read', state: 'damaged', kind: 'other' }
  }
  const kind = kindOf(facts.policyOid)
  const left = daysLeft(facts.notAfter, now)
  if (!base.hasKey) return { ...base, facts, damaged: 'signPri.key is missing', state: 'damaged', kind, daysLeft: left }
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
  for (const root of roots) {
    const exists = isDirectory(root.path)
    const before = certs.length
    if (exists) {
      for (const ca of listDirs(root.path)) {
        const caPath = join(root.path, ca)
        for (const user of listDirs(caPath)) {
          if (user.toLowerCase() !== 'user') continue
          const userPath = join(caPath, user)
          for (const dn of listDirs(userPath)) certs.push(readCertFolder(join(userPath, dn), root, ca, now))
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
