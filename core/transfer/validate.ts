import { AsnConvert } from '@peculiar/asn1-schema'
import { PFX } from '@peculiar/asn1-pfx'
import { CertError } from '../../shared/errors'
import type { TransferFile, TransferFormat } from '../../shared/cpace/transfer'
import { parseCertificate } from '../certs/parse'
import { parseEncryptedSignPri } from '../formats/signpri'

/** What the PC can tell about received files before anyone types a password. */
export interface ReceivedSummary {
  owner?: string
  issuer?: string
  notAfter?: string
  subjectDn?: string
}

export function fileOf(files: TransferFile[], name: string): Uint8Array | undefined {
  return files.find((f) => f.name === name)?.data
}

/**
 * Checks that received files are what they claim: a certificate and an encrypted key that
 * parse (NPKI), or a PFX structure. The password check comes later, on the PC only.
 */
export function checkReceived(format: TransferFormat, files: TransferFile[]): ReceivedSummary {
  if (format === 'pfx') {
    const pfx = fileOf(files, 'certificate.pfx')
    if (!pfx) throw new CertError('DAMAGED', 'no PFX file received')
    try {
      const parsed = AsnConvert.parse(pfx, PFX)
      if (parsed.version !== 3) throw new Error('version')
    } catch {
      throw new CertError('DAMAGED', 'the received PFX file cannot be parsed')
    }
    return {}
  }
  const cert = fileOf(files, 'signCert.der')
  const key = fileOf(files, 'signPri.key')
  if (!cert || !key) throw new CertError('DAMAGED', 'signCert.der and signPri.key are both required')
  const facts = parseCertificate(cert)
  parseEncryptedSignPri(key)
  const km = fileOf(files, 'kmCert.der')
  const kmKey = fileOf(files, 'kmPri.key')
  if (km && kmKey) {
    parseCertificate(km)
    parseEncryptedSignPri(kmKey)
  }
  return { owner: facts.owner, issuer: facts.issuerName, notAfter: facts.notAfter.toISOString(), subjectDn: facts.subjectDn }
}
