/**
 * The one table of object identifiers the formats, certificates, the CA and CMP name. A module
 * that needs an OID takes it from here, so one number is never spelled two ways.
 */
export const OID = {
  // ---- attribute types (X.520, RFC 4519) ----
  cn: '2.5.4.3',
  sn: '2.5.4.4',
  serialNumber: '2.5.4.5',
  c: '2.5.4.6',
  l: '2.5.4.7',
  st: '2.5.4.8',
  street: '2.5.4.9',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  emailAddress: '1.2.840.113549.1.9.1',
  dc: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',

  // ---- certificate extensions (RFC 5280) ----
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  crlReason: '2.5.29.21',
  certificatePolicies: '2.5.29.32',

  // ---- public keys and signatures ----
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  ed25519: '1.3.101.112',
  kcdsa: '1.2.410.200004.1.21',

  // ---- digests and MACs ----
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  hmacSha1: '1.3.6.1.5.5.8.1.2',

  // ---- password-based encryption (PKCS#5, PKCS#12) and ciphers ----
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeShaRc4_128: '1.2.840.113549.1.12.1.1',
  pbeShaRc4_40: '1.2.840.113549.1.12.1.2',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',

  // ---- PKCS#7 / PKCS#9 / PKCS#12 ----
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',

  // ---- Korean NPKI (KISA) ----
  seedCbc: '1.2.410.200004.1.4',
  pbeWithSha1AndSeedCbc: '1.2.410.200004.1.15',
  /** identifyData, the otherName in subjectAltName that carries the VID */
  identifyData: '1.2.410.200004.10.1.1',
  vid: '1.2.410.200004.10.1.1.1',
  /** randomNum: in the PKCS#8 attributes and in CMP regInfo */
  randomNum: '1.2.410.200004.10.1.1.3',

  // ---- CMP and CRMF (RFC 4210/9810, RFC 4211) ----
  passwordBasedMac: '1.2.840.113533.7.66.13',
  regCtrlOldCertID: '1.3.6.1.5.5.7.5.1.5',
  itImplicitConfirm: '1.3.6.1.5.5.7.4.13',
  itConfirmWaitTime: '1.3.6.1.5.5.7.4.14',
  itCaCerts: '1.3.6.1.5.5.7.4.17',
} as const

export type OidName = keyof typeof OID
