import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CaFacade, CertStatus, CertType, RevocationReason } from '../ca/facade'
import { computeVid } from './vid'

/** Test support: an in-memory stand-in for the CA and certificates made by openssl. */
export class FakeCa implements CaFacade {
  readonly certs = new Map<string, { certDer: Uint8Array; status: CertStatus; customerId: string; certType: CertType }>()
  readonly revoked: { serialHex: string; reason: RevocationReason }[] = []

  add(serialHex: string, customerId: string, certType: CertType, certDer: Uint8Array = new Uint8Array(), status: CertStatus = 'active'): void {
    this.certs.set(serialHex.toLowerCase(), { certDer, status, customerId, certType })
  }

  async revokeSerial(serialHex: string, reason: RevocationReason): Promise<void> {
    const c = this.certs.get(serialHex.toLowerCase())
    if (!c) throw new Error('unknown serial')
    c.status = 'revoked'
    this.revoked.push({ serialHex, reason })
  }

  async findActiveCert(customerId: string, certType: CertType): Promise<{ serialHex: string; certDer: Uint8Array } | undefined> {
    for (const [serialHex, c] of this.certs) if (c.customerId === customerId && c.certType === certType && c.status === 'active') return { serialHex, certDer: c.certDer }
    return undefined
  }

  async certBySerial(serialHex: string): Promise<{ certDer: Uint8Array; status: CertStatus; customerId: string; certType: CertType } | undefined> {
    return this.certs.get(serialHex.toLowerCase())
  }

  caCertDer(): Uint8Array {
    return new Uint8Array()
  }
}

export interface TestCert {
  certDer: Uint8Array
  keyPem: string
  serialHex: string
}

export interface TestCa {
  certDer: Uint8Array
  certPem: string
  keyPem: string
}

/** A CA certificate made by openssl (CA:TRUE, keyCertSign), e.g. standing in for yessign's. */
export function opensslCa(opts: { subject: string; days?: number; keyUsage?: string }): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'ra-ca-'))
  try {
    const lines = ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no', 'utf8 = yes', '[dn]', '[ext]', 'basicConstraints = critical,CA:TRUE', `keyUsage = critical,${opts.keyUsage ?? 'keyCertSign,cRLSign'}`, 'subjectKeyIdentifier = hash']
    writeFileSync(join(dir, 'ca.cnf'), lines.join('\n') + '\n')
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', String(opts.days ?? 365), '-subj', opts.subject, '-config', join(dir, 'ca.cnf'), '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')], { stdio: 'pipe' })
    const certPem = readFileSync(join(dir, 'ca.pem'), 'utf8')
    const certDer = new Uint8Array(execFileSync('/usr/bin/openssl', ['x509', '-in', join(dir, 'ca.pem'), '-outform', 'DER']))
    return { certDer, certPem, keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A self-signed certificate made by openssl (the independent producer), valid for `days`
 * (negative start offsets are not needed by the tests). With `vid`, its subjectAltName carries
 * the NPKI identifyData for that resident number and randomNum.
 */
export function opensslCert(opts: { days: number; serialHex: string; vid?: { realName: string; idn: string; randomNum: Uint8Array }; rsa?: boolean; issuer?: TestCa; keyUsage?: string }): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'ra-cert-'))
  try {
    const lines = ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no', '[dn]', 'CN = ra test', '[ext]', 'basicConstraints = CA:FALSE']
    if (opts.keyUsage) lines.push(`keyUsage = critical,${opts.keyUsage}`)
    if (opts.vid) {
      const vid = Buffer.from(computeVid(opts.vid.idn, opts.vid.randomNum)).toString('hex')
      lines.push(
        'subjectAltName = otherName:1.2.410.200004.10.1.1;SEQUENCE:identifyData',
        '[identifyData]',
        `realName = UTF8:${opts.vid.realName}`,
        'userInfos = SEQUENCE:userInfos',
        '[userInfos]',
        'vidInfo = SEQUENCE:vidInfo',
        '[vidInfo]',
        'type = OID:1.2.410.200004.10.1.1.1',
        'value = SEQUENCE:vidValue',
        '[vidValue]',
        'hashAlg = SEQUENCE:hashAlg',
        `virtualID = EXPLICIT:0,FORMAT:HEX,OCTETSTRING:${vid}`,
        '[hashAlg]',
        'algorithm = OID:sha256',
        'params = NULL',
      )
    }
    writeFileSync(join(dir, 'req.cnf'), lines.join('\n') + '\n')
    const keyArgs = opts.rsa ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
    if (opts.issuer) {
      // Signed by the given CA: a request first, then the CA signs it with the same extensions.
      writeFileSync(join(dir, 'ca.pem'), opts.issuer.certPem)
      writeFileSync(join(dir, 'ca.key'), opts.issuer.keyPem, { mode: 0o600 })
      execFileSync('/usr/bin/openssl', ['req', '-new', ...keyArgs, '-nodes', '-config', join(dir, 'req.cnf'), '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.csr')], { stdio: 'pipe' })
      execFileSync(
        '/usr/bin/openssl',
        ['x509', '-req', '-in', join(dir, 'req.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-set_serial', `0x${opts.serialHex}`, '-days', String(opts.days), '-extfile', join(dir, 'req.cnf'), '-extensions', 'ext', '-out', join(dir, 'cert.der'), '-outform', 'DER'],
        { stdio: 'pipe' },
      )
    } else {
      execFileSync('/usr/bin/openssl', ['req', '-x509', ...keyArgs, '-nodes', '-days', String(opts.days), '-set_serial', `0x${opts.serialHex}`, '-config', join(dir, 'req.cnf'), '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.der'), '-outform', 'DER'], { stdio: 'pipe' })
    }
    return { certDer: new Uint8Array(readFileSync(join(dir, 'cert.der'))), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), serialHex: opts.serialHex.toLowerCase() }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
