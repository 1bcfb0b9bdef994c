import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { X509Certificate, type KeyObject } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { generateRsaKey, type CmpSettings } from '../../core/enroll/cmp-client'
import { SIGN_CERT, SIGN_KEY } from '../../core/enroll/save'
import { parseSubject } from '../../core/enroll/subject'
import { availableModules } from '../../core/token/pkcs11'
import { PinGuard } from '../../core/token/pins'
import { Trash } from '../../core/storage/trash'
import { issueToFolder } from '../../core/usecases/issue-to-folder'
import { issueToToken } from '../../core/usecases/issue-to-token'
import { renewFolder } from '../../core/usecases/renew-folder'
import { renewOnToken } from '../../core/usecases/renew-token'
import { RenewalJournal } from '../../core/usecases/renewal-journal'
import { recoverAndReport } from './pending-renewals'
import { revokeCertificate } from '../../core/usecases/revoke-certificate'
import { defaultDataDir } from '../../core/settings/paths'
import { centerWantsRaChecks, RENEWAL_CHECK_OPTIONS, runRenewalChecks } from './renewal-checks'
import { optionalString, requirePositional, requireString, UsageError, type CliIO, type Command, type ParsedArgs, oneStdinAtMost } from '../command'
import { readRegularFile } from '../../core/storage/regular-file'

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
      certDer: new Uint8Array(await readRegularFile(join(folder, SIGN_CERT))),
      keyFile: new Uint8Array(await readRegularFile(join(folder, SIGN_KEY))),
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
      s.trusted = [new Uint8Array(new X509Certificate(await readRegularFile(ca)).raw)]
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

const CENTER_OPTIONS = {
  center: { type: 'string' },
  'ca-cert': { type: 'string' },
  'cmp-version': { type: 'string' },
} as const

function trashOf(args: ParsedArgs): Trash {
  return new Trash(resolve(optionalString(args, 'data') ?? defaultDataDir()))
}

function journalOf(args: ParsedArgs): RenewalJournal {
  return new RenewalJournal(resolve(optionalString(args, 'data') ?? defaultDataDir()))
}

function issueCommand(name: 'issue' | 'reissue', deps: EnrollDeps): Command {
  const reissue = name === 'reissue'
  return {
    name,
    usage: `${name} --center URL --reference R --auth-code-file F (--root DIR --password-file P | --token LABEL [--slot ID] [--module M] --pin-file F) [--data DIR] [--subject DN] [--ca-cert F] [--cmp-version 2|3]`,
    summary: reissue
      ? 'Reissue a certificate with codes from the center (재발급): new key; a folder of the same name goes to the trash; the center revokes the old one'
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
    async run(args, io, ctx) {
      const center = requireString(args, 'center')
      const reference = requireString(args, 'reference')
      const codeFile = requireString(args, 'auth-code-file')
      if (optionalString(args, 'token') !== undefined || optionalString(args, 'slot') !== undefined) return issueToTokenCommand(args, io, { center, reference, codeFile, reissue })
      const root = ctx.roots.given(requireString(args, 'root')).path
      const pwFile = requireString(args, 'password-file')
      oneStdinAtMost({ '--auth-code-file': codeFile, '--password-file': pwFile })
      const subject = parseSubject(optionalString(args, 'subject') ?? '')
      const authCode = (await io.readSecret(codeFile)).trim()
      const password = await io.readSecret(pwFile)
      if (!authCode) throw new UsageError('the authorization code file is empty')
      const r = await issueToFolder(
        { purpose: reissue ? 'reissue' : 'issue', root, password, subject, codes: async () => ({ reference, authCode }) },
        { center: { ...(await settings(args)), url: center }, trash: trashOf(args), generateKey: deps.generateKey },
      )
      io.out(`${reissue ? 'reissued' : 'issued'}: ${r.facts.subjectDn} (serial ${r.facts.serialHex}, valid until ${r.facts.notAfter.toISOString().slice(0, 10)})`)
      io.out(`saved in ${r.folder}`)
      for (const serial of r.revokedSerials) io.out(`moved the revoked certificate ${serial} to the trash`)
      return 0
    },
  }
}

/** A wrong PIN is a failed check (exit 1), like a wrong password; anything else goes up. */
function pinFailure(err: unknown, io: CliIO, command: string): number {
  if (err instanceof CertError && err.code === 'TOKEN' && err.params?.reason === 'pin-incorrect') {
    const left = err.params.attemptsLeft
    io.err(`certmgr ${command}: ${err.message}${typeof left === 'number' ? ` (${left} attempts left before this app stops trying)` : ''}`)
    return 1
  }
  throw err
}

/** The token named by --token/--slot/--module, and the PIN counter kept in the data folder. */
function tokenArgs(args: ParsedArgs): { ref: { module: string; label?: string; slot?: string }; guard: PinGuard } {
  const module = optionalString(args, 'module') ?? availableModules()[0]
  if (!module) throw new UsageError('no PKCS#11 module found: give --module')
  const ref = { module: resolve(module), label: optionalString(args, 'token'), slot: optionalString(args, 'slot') }
  const guard = PinGuard.inDataDir(resolve(optionalString(args, 'data') ?? defaultDataDir()))
  return { ref, guard }
}

/**
 * 발급 onto a security token: the key pair is generated on the token, the certificate and the
 * randomNum are stored beside it before certConf, and nothing stays there if it fails.
 */
async function issueToTokenCommand(args: ParsedArgs, io: CliIO, o: { center: string; reference: string; codeFile: string; reissue: boolean }): Promise<number> {
  if (optionalString(args, 'root') !== undefined || optionalString(args, 'password-file') !== undefined) throw new UsageError('--root and --password-file are for a folder; a token takes --pin-file')
  const pinFile = requireString(args, 'pin-file')
  oneStdinAtMost({ '--auth-code-file': o.codeFile, '--pin-file': pinFile })
  const { ref, guard } = tokenArgs(args)
  const subject = parseSubject(optionalString(args, 'subject') ?? '')
  const authCode = (await io.readSecret(o.codeFile)).trim()
  if (!authCode) throw new UsageError('the authorization code file is empty')
  const pin = await io.readSecret(pinFile)
  const cmp = await settings(args)
  let r: Awaited<ReturnType<typeof issueToToken>>
  try {
    r = await issueToToken(
      { purpose: o.reissue ? 'reissue' : 'issue', token: ref, pin, session: { guard }, subject, codes: async () => ({ reference: o.reference, authCode }) },
      { center: { ...cmp, url: o.center }, trash: trashOf(args) },
    )
  } catch (err) {
    return pinFailure(err, io, o.reissue ? 'reissue' : 'issue')
  }
  io.out(`${o.reissue ? 'reissued' : 'issued'}: ${r.facts.subjectDn} (serial ${r.facts.serialHex}, valid until ${r.facts.notAfter.toISOString().slice(0, 10)})`)
  io.out(`stored on the token with id ${r.idHex}`)
  return 0
}

function renewCommand(deps: EnrollDeps): Command {
  return {
    name: 'renew',
    usage:
      'renew (PATH --password-file P | --token LABEL [--slot ID] [--module M] [--id HEX] --pin-file F) --center URL [--name NAME] [--idn-file F] [--account-file F] [--data DIR] [--ca-cert F] [--cmp-version 2|3]',
    summary:
      'Renew a certificate (갱신) with a new key, in its folder or on its token, replacing the old one only once the new one is stored; runs the center\'s 갱신 checks (SMS code, security card or OTP) on the terminal when it asks for them',
    options: {
      ...CENTER_OPTIONS,
      'password-file': { type: 'string' },
      data: { type: 'string' },
      token: { type: 'string' },
      slot: { type: 'string' },
      module: { type: 'string' },
      id: { type: 'string' },
      'pin-file': { type: 'string' },
      ...RENEWAL_CHECK_OPTIONS,
    },
    async run(args, io) {
      const center = requireString(args, 'center')
      const trash = trashOf(args)
      const journal = journalOf(args)
      // A renewal an earlier run left open (crash, lost answer) is settled first, by asking its
      // center; one on a token is reported here and settled by renewOnToken, which has the PIN.
      await recoverAndReport(journal, trash, io)
      const onToken = optionalString(args, 'token') !== undefined || optionalString(args, 'slot') !== undefined
      const secretFile = onToken ? requireString(args, 'pin-file') : requireString(args, 'password-file')
      oneStdinAtMost({ [onToken ? '--pin-file' : '--password-file']: secretFile, '--idn-file': optionalString(args, 'idn-file'), '--account-file': optionalString(args, 'account-file') })
      const folder = onToken ? undefined : await certFolder(args)
      if (folder) await readFolder(folder)
      const secret = await io.readSecret(secretFile)
      const cmp = { ...(await settings(args)), url: center }
      // The kur goes out as any CMP client sends it. Only when the center refuses it as not
      // authorized and its RA says it wants the 갱신 checks are they run, then the kur again:
      // a standard CMP CA never sees a request that is not CMP.
      const attempt = async <T>(run: (authorize?: (serialHex: string) => Promise<void>) => Promise<T>): Promise<T> => {
        try {
          return await run()
        } catch (err) {
          if (!(err instanceof CertError) || err.params?.failInfo !== 'notAuthorized' || !(await centerWantsRaChecks(center))) throw err
          // The checks' answers are read from standard input, which a secret file cannot then be.
          if ([secretFile, optionalString(args, 'idn-file'), optionalString(args, 'account-file')].includes('-')) {
            throw new UsageError('this center asks for its renewal checks on standard input; give the secrets as files')
          }
          return run((serialHex) => runRenewalChecks(center, args, io, serialHex))
        }
      }
      if (onToken) {
        const { ref, guard } = tokenArgs(args)
        let r: Awaited<ReturnType<typeof renewOnToken>>
        try {
          r = await attempt((authorize) => renewOnToken({ token: ref, pin: secret, session: { guard }, idHex: optionalString(args, 'id'), authorize }, { center: cmp, journal }))
        } catch (err) {
          return pinFailure(err, io, 'renew')
        }
        io.out(`renewed: ${r.facts.subjectDn} (serial ${r.facts.serialHex}, valid until ${r.facts.notAfter.toISOString().slice(0, 10)})`)
        io.out(`stored on the token with id ${r.idHex} (the old certificate ${r.oldIdHex} was removed)`)
        return 0
      }
      const r = await attempt((authorize) => renewFolder({ folder: folder!, password: secret, authorize }, { center: cmp, trash, journal, generateKey: deps.generateKey }))
      io.out(`renewed: ${r.facts.subjectDn} (serial ${r.facts.serialHex}, valid until ${r.facts.notAfter.toISOString().slice(0, 10)})`)
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
    await readFolder(folder)
    const facts = await revokeCertificate({ folder, password, reason }, { center: { ...(await settings(args)), url: center } })
    io.out(`revoked: ${facts.subjectDn}`)
    return 0
  },
}

export function createEnrollCommands(deps: EnrollDeps = defaultDeps): Command[] {
  return [issueCommand('issue', deps), issueCommand('reissue', deps), renewCommand(deps), revokeCommand]
}

export const enrollCommands: Command[] = createEnrollCommands()
