import { createHash } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { DN_SHORT_NAMES, caFolderName, displayName, formatDn, npkiFolderName, type Dn } from '../../shared/dn'
import { toHex } from '../../shared/der/bytes'
import { OID } from '../../shared/der/oids'
import { children, damaged, expectTag, readOid, readString, readTime, readTlv, type Tlv } from '../../shared/der/reader'

/** Everything the list and the details panel show about a certificate. */
export interface CertFacts {
  serialHex: string
  subject: Dn
  issuer: Dn
  /** Display forms, most specific first ("cn=...,ou=...,o=yessign,c=kr"). */
  subjectDn: string
  issuerDn: string
  /** The owner's name as users know it (CN before '('). */
  owner: string
  /** The issuing CA's name as users know it (issuer O=, else CN). */
  issuerName: string
  caFolder: string
  npkiFolderName: string
  notBefore: Date
  notAfter: Date
  policyOid?: string
  keyAlgorithm: string
  keySize: number
  keyUsage: string[]
  signatureAlgorithm: string
  /** The subjectAltName carries a Korean identifyData (VID) entry. */
  hasVid: boolean
}

const KEY_ALGS: Record<string, string> = {
  [OID.rsaEncryption]: 'RSA',
  [OID.ecPublicKey]: 'EC',
  [OID.ed25519]: 'Ed25519',
  [OID.kcdsa]: 'KCDSA',
}
const CURVE_BITS: Record<string, number> = { [OID.prime256v1]: 256, [OID.secp384r1]: 384, [OID.secp521r1]: 521 }
const SIG_ALGS: Record<string, string> = {
  [OID.sha1WithRSAEncryption]: 'sha1WithRSAEncryption',
  [OID.sha256WithRSAEncryption]: 'sha256WithRSAEncryption',
  [OID.sha384WithRSAEncryption]: 'sha384WithRSAEncryption',
  [OID.sha512WithRSAEncryption]: 'sha512WithRSAEncryption',
  [OID.rsassaPss]: 'RSASSA-PSS',
  [OID.ecdsaWithSHA256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSHA384]: 'ecdsa-with-SHA384',
}
const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly']

function parseName(buf: Uint8Array, t: Tlv): Dn {
  expectTag(t, 0x30, 'Name')
  const dn: Dn = []
  for (const rdn of children(t)) {
    expectTag(rdn, 0x31, 'RDN set')
    for (const atv of children(rdn)) {
      const [oidT, valT] = children(expectTag(atv, 0x30, 'AttributeTypeAndValue'))
      if (!oidT || !valT) throw damaged('short attribute')
      const oid = readOid(oidT)
      dn.push({ type: DN_SHORT_NAMES[oid] ?? oid, value: readString(valT) })
    }
  }
  return dn
}

function bitLength(buf: Uint8Array, t: Tlv): number {
  let i = t.start
  while (i < t.end && buf[i] === 0) i++
  if (i === t.end) return 0
  return (t.end - i - 1) * 8 + (32 - Math.clz32(buf[i]!))
}

function parseSpki(buf: Uint8Array, t: Tlv): { keyAlgorithm: string; keySize: number } {
  const [algT, bitsT] = children(expectTag(t, 0x30, 'SubjectPublicKeyInfo'))
  const [oidT, paramT] = children(expectTag(algT, 0x30, 'AlgorithmIdentifier'))
  const oid = readOid(expectTag(oidT, 0x06, 'algorithm OID'))
  const bits = expectTag(bitsT, 0x03, 'public key BIT STRING')
  const keyAlgorithm = KEY_ALGS[oid] ?? oid
  if (keyAlgorithm === 'RSA') {
    const rsa = readTlv(buf, bits.start + 1, bits.end)
    const [n] = children(expectTag(rsa, 0x30, 'RSAPublicKey'))
    return { keyAlgorithm, keySize: bitLength(buf, expectTag(n, 0x02, 'modulus')) }
  }
  if (keyAlgorithm === 'EC' && paramT?.tag === 0x06) return { keyAlgorithm, keySize: CURVE_BITS[readOid(paramT)] ?? 0 }
  if (keyAlgorithm === 'Ed25519') return { keyAlgorithm, keySize: 256 }
  return { keyAlgorithm, keySize: (bits.end - bits.start - 1) * 8 }
}

interface Extensions {
  policyOid?: string
  keyUsage: string[]
  hasVid: boolean
}

function parseExtensions(buf: Uint8Array, t: Tlv): Extensions {
  const out: Extensions = { keyUsage: [], hasVid: false }
  const [seq] = children(t)
  for (const ext of children(expectTag(seq, 0x30, 'Extensions'))) {
    const parts = children(expectTag(ext, 0x30, 'Extension'))
    const oid = readOid(expectTag(parts[0], 0x06, 'extension OID'))
    const value = expectTag(parts[parts.length - 1], 0x04, 'extension value')
    if (oid === OID.certificatePolicies) {
      const policies = readTlv(buf, value.start, value.end)
      const first = children(expectTag(policies, 0x30, 'certificatePolicies'))[0]
      if (first) out.policyOid = readOid(expectTag(children(expectTag(first, 0x30, 'PolicyInformation'))[0], 0x06, 'policy OID'))
    } else if (oid === OID.keyUsage) {
      const bs = expectTag(readTlv(buf, value.start, value.end), 0x03, 'keyUsage BIT STRING')
      for (let i = 0; i < KEY_USAGE_BITS.length; i++) {
        const byte = bs.start + 1 + (i >> 3)
        if (byte < bs.end && buf[byte]! & (0x80 >> (i & 7))) out.keyUsage.push(KEY_USAGE_BITS[i]!)
      }
    } else if (oid === OID.subjectAltName) {
      const names = readTlv(buf, value.start, value.end)
      for (const gn of children(expectTag(names, 0x30, 'GeneralNames'))) {
        if (gn.tag !== 0xa0) continue // otherName
        const [typeId] = children(gn)
        if (typeId && readOid(typeId) === OID.identifyData) out.hasVid = true
      }
    }
  }
  return out
}

/** Parses a DER certificate. Any malformation is a CertError('DAMAGED'), never a crash. */
export function parseCertificate(der: Uint8Array): CertFacts {
  try {
    const cert = readTlv(der, 0)
    if (cert.tag !== 0x30 || cert.end !== der.length) throw damaged('not a single DER certificate')
    const [tbs, sigAlg] = children(cert)
    const f = children(expectTag(tbs, 0x30, 'TBSCertificate'))
    let i = 0
    if (f[0]?.tag === 0xa0) i++ // explicit version
    const serial = expectTag(f[i++], 0x02, 'serial number')
    i++ // signature algorithm inside TBS
    const issuer = parseName(der, expectTag(f[i++], 0x30, 'issuer'))
    const [nb, na] = children(expectTag(f[i++], 0x30, 'validity'))
    if (!nb || !na) throw damaged('validity')
    const subject = parseName(der, expectTag(f[i++], 0x30, 'subject'))
    const spki = parseSpki(der, expectTag(f[i++], 0x30, 'subjectPublicKeyInfo'))
    const extT = f.slice(i).find((x) => x.tag === 0xa3)
    const ext = extT ? parseExtensions(der, extT) : { keyUsage: [], hasVid: false }
    const [sigOid] = children(expectTag(sigAlg, 0x30, 'signatureAlgorithm'))
    const sigOidStr = readOid(expectTag(sigOid, 0x06, 'signature OID'))
    return {
      serialHex: toHex(der.subarray(serial.start, serial.end)).replace(/^(00)+(?=.)/, ''),
      subject,
      issuer,
      subjectDn: formatDn(subject),
      issuerDn: formatDn(issuer),
      owner: displayName(subject),
      issuerName: issuer.find((a) => a.type === 'o')?.value ?? issuer.find((a) => a.type === 'cn')?.value ?? formatDn(issuer),
      caFolder: caFolderName(issuer),
      npkiFolderName: npkiFolderName(subject),
      notBefore: readTime(nb),
      notAfter: readTime(na),
      policyOid: ext.policyOid,
      keyAlgorithm: spki.keyAlgorithm,
      keySize: spki.keySize,
      keyUsage: ext.keyUsage,
      signatureAlgorithm: SIG_ALGS[sigOidStr] ?? sigOidStr,
      hasVid: ext.hasVid,
    }
  } catch (err) {
    if (err instanceof CertError) throw err
    throw new CertError('DAMAGED', 'the certificate could not be parsed')
  }
}

export function fingerprints(der: Uint8Array): { sha256: string; sha1: string } {
  return {
    sha256: createHash('sha256').update(der).digest('hex'),
    sha1: createHash('sha1').update(der).digest('hex'),
  }
}
