import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { encryptSignPri, withRandomNum } from '../formats/signpri'

/** Test support: NPKI certificate folders built from the fixtures or issued by openssl. */

export const FIXTURE_DIR = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
export const FIXTURE_PASSWORD = readFileSync(join(FIXTURE_DIR, 'password.txt'), 'utf8')
export const FIXTURE_RANDOM_NUM = '7858b4328390805129f01c97fe6ca4a520cbd479'

/** Copies the fixture's signCert.der + signPri.key into `dir`. */
export function fixtureFolder(dir: string): string {
  mkdirSync(dir, { recursive: true })
  copyFileSync(join(FIXTURE_DIR, 'signCert.der'), join(dir, 'signCert.der'))
  copyFileSync(join(FIXTURE_DIR, 'signPri.key'), join(dir, 'signPri.key'))
  return dir
}

/** The VID for (idn, randomNum) from hand-written DER, independent of the code under test. */
export function referenceVid(idn: string, randomNum: Uint8Array): string {
  const body = Buffer.concat([Buffer.from([0x13, idn.length]), Buffer.from(idn, 'ascii'), Buffer.from([0x03, randomNum.length + 1, 0]), Buffer.from(randomNum)])
  const der = Buffer.concat([Buffer.from([0x30, body.length]), body])
  return createHash('sha256').update(createHash('sha256').update(der).digest()).digest('hex')
}

/**
 * A folder whose certificate openssl issued for a fresh RSA key, with an identifyData VID for
 * `idn` (or none when `idn` is undefined), and whose signPri.key (scheme A) carries `randomNum`.
 */
export function opensslVidFolder(dir: string, password: string, randomNum: Uint8Array, idn: string | undefined): string {
  mkdirSync(dir, { recursive: true })
  const keyPem = join(dir, 'work-key.pem')
  execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPem], { stdio: 'ignore' })
  const cnf = join(dir, 'work.cnf')
  const lines = ['[req]', 'distinguished_name=dn', '[dn]', '[ext]', 'basicConstraints=critical,CA:FALSE']
  if (idn) {
    lines.push(
      'subjectAltName=otherName:1.2.410.200004.10.1.1;SEQUENCE:id_data',
      '[id_data]',
      'name=UTF8:TESTER',
      'vids=SEQUENCE:vid_list',
      '[vid_list]',
      'entry=SEQUENCE:vid_entry',
      '[vid_entry]',
      'type=OID:1.2.410.200004.10.1.1.1',
      'value=SEQUENCE:vid_value',
      '[vid_value]',
      'alg=SEQUENCE:hash_alg',
      `vid=EXPLICIT:0,FORMAT:HEX,OCTETSTRING:${referenceVid(idn, randomNum)}`,
      '[hash_alg]',
      'oid=OID:sha256',
    )
  }
  writeFileSync(cnf, lines.join('\n') + '\n')
  execFileSync('openssl', ['req', '-x509', '-key', keyPem, '-subj', '/CN=TESTER/O=yessign/C=kr', '-days', '30', '-config', cnf, '-extensions', 'ext', '-outform', 'DER', '-out', join(dir, 'signCert.der')], { stdio: 'ignore' })
  const pkcs8 = new Uint8Array(execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', keyPem, '-outform', 'DER']))
  writeFileSync(join(dir, 'signPri.key'), encryptSignPri(withRandomNum(pkcs8, randomNum), password, { scheme: 'A' }))
  return dir
}
