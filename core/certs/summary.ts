import { join } from 'node:path'
import type { CertDetails, CertSummary } from '../../shared/contract/certs'
import { policyInfo } from '../../shared/policy'
import { idOf } from './registry'
import { readRegularFileSync } from '../storage/regular-file'
import { fingerprints } from './parse'
import type { FoundCert } from './scan'

export function toSummary(c: FoundCert): CertSummary {
  const f = c.facts
  const s: CertSummary = {
    id: idOf(c),
    location: c.root.location,
    path: c.path,
    rootPath: c.root.path,
    owner: f?.owner ?? '',
    subjectDn: f?.subjectDn ?? '',
    issuerName: f?.issuerName ?? c.caDir,
    issuerDn: f?.issuerDn ?? '',
    caFolder: f?.caFolder ?? c.caDir,
    serialHex: f?.serialHex ?? '',
    notBefore: f?.notBefore.toISOString() ?? '',
    notAfter: f?.notAfter.toISOString() ?? '',
    daysLeft: c.daysLeft ?? 0,
    state: c.state,
    kind: c.kind,
    hasKmPair: c.hasKmPair,
  }
  if (c.root.label) s.locationLabel = c.root.label
  if (f?.policyOid) s.policyOid = f.policyOid
  if (c.damaged) s.damaged = c.damaged
  return s
}

export function toDetails(c: FoundCert): CertDetails {
  const f = c.facts
  const der = f ? readRegularFileSync(join(c.path, c.files.find((n) => n.toLowerCase() === 'signcert.der') ?? 'signCert.der')) : undefined
  const fp = der ? fingerprints(der) : { sha256: '', sha1: '' }
  const policy = policyInfo(f?.policyOid)
  const d: CertDetails = {
    ...toSummary(c),
    keyAlgorithm: f?.keyAlgorithm ?? '',
    keySize: f?.keySize ?? 0,
    keyUsage: f?.keyUsage ?? [],
    signatureAlgorithm: f?.signatureAlgorithm ?? '',
    sha256: fp.sha256,
    sha1: fp.sha1,
    hasVid: f?.hasVid ?? false,
    files: c.files.map((name) => ({ name, path: join(c.path, name) })),
  }
  if (policy) d.policyName = { ko: policy.ko, en: policy.en }
  return d
}
