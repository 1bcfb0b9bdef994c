import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'

const TYPES: Record<string, string> = {
  cn: '2.5.4.3',
  sn: '2.5.4.4',
  serialnumber: '2.5.4.5',
  c: '2.5.4.6',
  l: '2.5.4.7',
  st: '2.5.4.8',
  street: '2.5.4.9',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  title: '2.5.4.12',
  givenname: '2.5.4.42',
  e: '1.2.840.113549.1.9.1',
  emailaddress: '1.2.840.113549.1.9.1',
  dc: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
}

// Types whose ASN.1 definition is not DirectoryString
const PRINTABLE = new Set(['2.5.4.6', '2.5.4.5'])
const IA5 = new Set(['1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25'])

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? ''
    if (ch === '\\' && i + 1 < s.length) {
      cur += s[++i]
      continue
    }
    if (ch === sep) {
      out.push(cur)
      cur = ''
      continue
    }
    cur += ch
  }
  out.push(cur)
  return out
}

/**
 * Parses a subject DN for a certificate request. Two spellings are taken: openssl's
 * "/C=KR/O=Bank/CN=Name" (in DER order) and RFC 4514 "CN=Name,O=Bank,C=KR" (most specific
 * first, so reversed). Values are UTF8String except C / serialNumber (PrintableString) and
 * e-mail / dc (IA5String). An empty string gives the empty Name (the CA decides the DN).
 */
export function parseSubject(dn: string): Name {
  const text = dn.trim()
  if (text === '' || text === '/') return new Name()
  const slash = text.startsWith('/')
  const parts = slash ? splitUnescaped(text.slice(1), '/') : splitUnescaped(text, ',').reverse()
  const rdns = parts.map((p) => {
    const eq = p.indexOf('=')
    if (eq <= 0) throw new CertError('BAD_REQUEST', 'subject must look like CN=name,O=org,C=KR')
    const key = p.slice(0, eq).trim()
    const value = p.slice(eq + 1).trim()
    const oid = /^\d+(\.\d+)+$/.test(key) ? key : TYPES[key.toLowerCase()]
    if (!oid) throw new CertError('BAD_REQUEST', `unknown subject attribute ${key}`)
    if (value === '') throw new CertError('BAD_REQUEST', `empty subject attribute ${key}`)
    let v: AttributeValue
    if (PRINTABLE.has(oid)) {
      if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new CertError('BAD_REQUEST', `${key} must be printable ASCII`)
      v = new AttributeValue({ printableString: value })
    } else if (IA5.has(oid)) {
      v = new AttributeValue({ ia5String: value })
    } else {
      v = new AttributeValue({ utf8String: value })
    }
    return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: v })])
  })
  return new Name(rdns)
}
