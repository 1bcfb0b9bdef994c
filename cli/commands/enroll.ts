import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { X509Certificate, type KeyObject } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { generateRsaKey, issue, renew, revoke, type CmpSettings } from '../../core/enroll/cmp-client'
import { buildPkcs8WithRandomNum, newRandomNum } from '../../core/enroll/npki-key'
import { saveIssued, saveRenewed, SIGN_CERT, SIGN_KEY } from '../../core/enroll/save'
import { parseSubject } from '../../core/enroll/subject'
import { parseCertificate } from '../../core/certs/parse'
import { openSignKey } from '../../core/formats/signpri'
import { availableModules } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { issueOntoToken } from '../../core/enroll/token-issue'
import { defaultDataDir } from '../../core/settings/paths'
import { optionalString, requirePositional, requireString, UsageError, type CliIO, type Command, type ParsedArgs, oneStdinAtMost } from '../command'

/** What the commands need from outside; tests replace key generation so a mock CA's fixed certificate fits. */
export interface EnrollDeps {
  generateKey(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }>
}

const defaultDeps: EnrollDeps = { generateKey: () => generateRsaKey(2048) }

async function certFolder(args: ParsedArgs): Promise<string> {
  const path = requirePositional(args, 0, 'PATH (a certificate folder)')
  const st = await stat(path).catch(() => undefined)
  if (!st) throw new UsageError(`no such folder: ${path}`)
  if (!st.isDirectory()) throw new UsageError(`not a certificate folder: ${path}`)
  return path
}

async function readFolder(folder: string): Promise<{ certDer: Uint8Array; keyFile: Uint8Array }> {
  try {
    return {
      certDer: new Uint8Array(await readFile(join(folder, SIGN_CERT))),
      keyFile: new Uint8Array(await readFile(join(folder, SIGN_KEY))),
    }
  } catch {
    throw new UsageError(`not a certificate folder (needs ${SIGN_CERT} and ${SIGN_KEY}): ${folder}`)
  }
}

async function settings(args: ParsedArgs): Promise<CmpSettings> {
  const s: CmpSettings = {}
  const ca = optionalString(args, 'ca-cert')
  if (ca) {
    try {
      s.trusted = [new Uint8Array(new X509Certificate(await readFile(ca)).raw)]
    } catch {
      throw new UsageError(`cannot read the CA certificate: ${ca}`)
    }
  }
  const pvno = optionalString(args, 'cmp-version')
  if (pvno !== undefined) {
    if (pvno !== '2' && pvno !== '3') throw new UsageError('--cmp-version must be 2 or 3')
    s.pvno = Number(pvno)
  }
  return s
}

function checkPassword(password: string): void {
  const c = checkNewPassword(password)
  if (!c.ok) throw new CertError('PASSWORD_RULE', c.message, { rule: c.rule })
}

const CENTER_OPTIONS = {
  center: { type: 'string' },
  'ca-cert': { type: 'string' },
  'cmp-version': { type: 'string' },
} as const

function issueCommand(name: 'issue' | 'reissue', deps: EnrollDeps): Command {
  const reissue = name === 'reissue'
  return {
    name,
    usage: `${name} --center URL --reference R --auth-code-file F (--root DIR --password-file P | --token LABEL [--slot ID] [--module M] --pin-file F [--data DIR]) [--subject DN] [--ca-cert F] [--cmp-version 2|3]`,
    summary: reissue
      ? 'Reissue a certificate with codes from the center (재발급): new key, replaces the folder of the same name; the center revokes the old one'
      : 'Issue a certificate with the reference number and authorization code from the center (발급) into an NPKI folder (beside an existing one of the same name)',
    options: {
      ...CENTER_OPTIONS,
      reference: { type: 'string' },
      'auth-code-file': { type: 'string' },
      root: { type: 'string' },
      'password-file': { type: 'string' },
      subject: { type: 'string' },
      token: { type: 'string' },
      slot: { type: 'string' },
      module: { type: 'string' },
      'pin-file': { type: 'string' },
      data: { type: 'string' },
    },
    async run(args, io) {
      const center = requireString(args, 'center')
      const reference = requireString(args, 'reference')
      const codeFile = requireString(args, 'auth-code-file')
      if (optionalString(args, 'token') !== undefined || optionalString(args, 'slot') !== undefined) return issueToToken(args, io, { center, reference, codeFile, reissue })
      const root = requireString(args, 'root')
      const pwFile = requireString(args, 'password-file')
      oneStdinAtMost({ '--auth-code-file': codeFile, '--password-file': pwFile })
      const subject = parseSubject(optionalString(args, 'subject') ?? '')
      const authCode = (await io.readSecret(codeFile)).trim()
      const password = await io.readSecret(pwFile)
      if (!authCode) throw new UsageError('the authorization code file is empty')
      checkPassword(password)
      const { privateKey, publicKey } = await deps.generateKey()
      const randomNum = newRandomNum()
      const r = await issue({ ...(await settings(args)), url: center, reference, authCode, privateKey, publicKey, subject, randomNum })
      const folder = await saveIssued(root, r.certDer, buildPkcs8WithRandomNum(privateKey, randomNum), password, { onExists: reissue ? 'replace' : 'suffix' })
      const facts = parseCertificate(r.certDer)
      io.out(`${reissue ? 'reissued' : 'issued'}: ${facts.subjectDn} (serial ${facts.serialHex}, valid until ${facts.notAfter.toISOString().slice(0, 10)})`)
      io.out(`saved in ${folder}`)
      return 0
    },
  }
}

/**
 * 발급 onto a security token: the key pair is generated on the token, the certificate and the
 * randomNum are stored beside it before certConf, and nothing stays there if it fails.
 */
async function issueToToken(args: ParsedArgs, io: CliIO, o: { center: string; reference: string; codeFile: string; reissue: boolean }): Promise<number> {
  if (optionalString(args, 'root') !== undefined || optionalString(args, 'password-file') !== undefined) throw new UsageError('--root and --password-file are for a folder; a token takes --pin-file')
  const pinFile = requireString(args, 'pin-file')
  oneStdinAtMost({ '--auth-code-file': o.codeFile, '--pin-file': pinFile })
  const module = optionalString(args, 'module') ?? availableModules()[0]
  if (!module) throw new UsageError('no PKCS#11 module found: give --module')
  const ref = { module: resolve(module), label: optionalString(args, 'token'), slot: optionalString(args, 'slot') }
  const subject = parseSubject(optionalString(args, 'subject') ?? '')
  const authCode = (await io.readSecret(o.codeFile)).trim()
  if (!authCode) throw new UsageError('the authorization code file is empty')
  const pin = await io.readSecret(pinFile)
  const guard = new PinGuard(join(resolve(optionalString(args, 'data') ?? defaultDataDir()), 'token-pin-failures.json'))
  const cmp = await settings(args)
  let r: Awaited<ReturnType<typeof issueOntoToken>>
  try {
    r = await issueOntoToken({ ref, pin, session: { guard }, randomNum: newRandomNum() }, async () => ({ ...cmp, url: o.center, reference: o.reference, authCode, subject }))
  } catch (err) {
    // A wrong PIN is a failed check (exit 1), like a wrong password.
    if (err instanceof CertError && err.code === 'TOKEN' && err.params?.reason === 'pin-incorrect') {
      const left = err.params.attemptsLeft
      io.err(`certmgr ${o.reissue ? 'reissue' : 'issue'}: ${err.message}${typeof left === 'number' ? ` (${left} attempts left before this app stops trying)` : ''}`)
      return 1
    }
    throw err
  }
  const facts = parseCertificate(r.certDer)
  io.out(`${o.reissue ? 'reissued' : 'issued'}: ${facts.subjectDn} (serial ${facts.serialHex}, valid until ${facts.notAfter.toISOString().slice(0, 10)})`)
  io.out(`stored on the token with id ${r.idHex}`)
  return 0
}

function renewCommand(deps: EnrollDeps): Command {
  return {
    name: 'renew',
    usage: 'renew PATH --center URL --password-file P [--ca-cert F] [--cmp-version 2|3]',
    summary: 'Renew a certificate (갱신) with a new key; the new one replaces it in the same folder',
    options: { ...CENTER_OPTIONS, 'password-file': { type: 'string' } },
    async run(args, io) {
      const folder = await certFolder(args)
      const center = requireString(args, 'center')
      const password = await io.readSecret(requireString(args, 'password-file'))
      const { certDer, keyFile } = await readFolder(folder)
      const opened = openSignKey(certDer, keyFile, password)
      const { privateKey } = await deps.generateKey()
      // keeping randomNum keeps the VID, and so bank and Hometax registrations, across renewals (as the desktop wizard does)
      const randomNum = opened.randomNum ?? newRandomNum()
      const r = await renew({ ...(await settings(args)), url: center, oldCertDer: certDer, oldKey: opened.privateKey, newKey: privateKey, randomNum })
      await saveRenewed(folder, r.certDer, buildPkcs8WithRandomNum(privateKey, randomNum), password)
      const facts = parseCertificate(r.certDer)
      io.out(`renewed: ${facts.subjectDn} (serial ${facts.serialHex}, valid until ${facts.notAfter.toISOString().slice(0, 10)})`)
      return 0
    },
  }
}

const revokeCommand: Command = {
  name: 'revoke',
  usage: 'revoke PATH --center URL --password-file P [--reason N] [--ca-cert F] [--cmp-version 2|3]',
  summary: 'Ask the center to revoke a certificate (폐기), signed with its key; reason is a CRLReason number (default 0)',
  options: { ...CENTER_OPTIONS, 'password-file': { type: 'string' }, reason: { type: 'string' } },
  async run(args, io) {
    const folder = await certFolder(args)
    const center = requireString(args, 'center')
    const reasonText = optionalString(args, 'reason') ?? '0'
    if (!/^\d{1,2}$/.test(reasonText)) throw new UsageError('--reason must be a CRLReason number (0-10, not 7)')
    const reason = Number(reasonText)
    if (reason > 10 || reason === 7) throw new UsageError('--reason must be a CRLReason number (0-10, not 7)')
    const password = await io.readSecret(requireString(args, 'password-file'))
    const { certDer, keyFile } = await readFolder(folder)
    const opened = openSignKey(certDer, keyFile, password)
    await revoke({ ...(await settings(args)), url: center, certDer, key: opened.privateKey, reason })
    io.out(`revoked: ${parseCertificate(certDer).subjectDn}`)
    return 0
  },
}

export function createEnrollCommands(deps: EnrollDeps = defaultDeps): Command[] {
  return [issueCommand('issue', deps), issueCommand('reissue', deps), renewCommand(deps), revokeCommand]
}

export const enrollCommands: Command[] = createEnrollCommands()
