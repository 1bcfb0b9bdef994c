/**
 * Distinguished names as Korean certificate software shows and stores them (NPKI.md §1):
 * most specific first, lower-case attribute names, values as in the certificate.
 */
export interface DnAttribute {
  /** Short name where one exists (cn, ou, o, c, ...), else the dotted OID. */
  type: string
  value: string
}

/** RDN attributes in certificate (DER) order: least specific (C) first. */
export type Dn = DnAttribute[]

export const DN_SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'cn',
  '2.5.4.4': 'sn',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'c',
  '2.5.4.7': 'l',
  '2.5.4.8': 'st',
  '2.5.4.9': 'street',
  '2.5.4.10': 'o',
  '2.5.4.11': 'ou',
  '2.5.4.12': 'title',
  '2.5.4.42': 'givenName',
  '1.2.840.113549.1.9.1': 'e',
  '0.9.2342.19200300.100.1.25': 'dc',
  '0.9.2342.19200300.100.1.1': 'uid',
}

/** "cn=홍길동()0012...,ou=WOORI,ou=personal4IB,o=yessign,c=kr" */
export function formatDn(dn: Dn): string {
  return [...dn].reverse().map((a) => `${a.type}=${a.value}`).join(',')
}

/** The first value of an attribute, by short name. */
export function dnValue(dn: Dn, type: string): string | undefined {
  return dn.find((a) => a.type === type)?.value
}

/** The name users see: the part of the CN before '(' (NPKI.md §1). */
export function displayName(dn: Dn): string {
  const cn = dnValue(dn, 'cn') ?? ''
  const i = cn.indexOf('(')
  const name = (i >= 0 ? cn.slice(0, i) : cn).trim()
  return name || cn || formatDn(dn)
}

/**
 * The NPKI folder name of a subject. Korean software writes it as formatDn with `c=kr`
 * lower-cased; characters no file system takes are replaced so a hostile DN cannot
 * escape the CA folder.
 */
export function npkiFolderName(subject: Dn): string {
  const name = [...subject]
    .reverse()
    .map((a) => `${a.type.toLowerCase()}=${a.type === 'c' ? a.value.toLowerCase() : a.value}`)
    .join(',')
  // eslint-disable-next-line no-control-regex
  const safe = name.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_')
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe
}

/** The CA folder under an NPKI root: the issuer's O= value (NPKI.md §1). */
export function caFolderName(issuer: Dn): string {
  const o = dnValue(issuer, 'o') ?? dnValue(issuer, 'cn') ?? 'Unknown'
  // eslint-disable-next-line no-control-regex
  return o.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').replace(/^\.+$/, '_') || 'Unknown'
}
