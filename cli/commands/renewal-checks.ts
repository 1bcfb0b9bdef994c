import { CertError } from '../../shared/errors'
import { RaClient } from '../../core/enroll/ra-client'
import { optionalString, UsageError, type CliIO, type ParsedArgs } from '../command'

/** Options `certmgr renew` takes for the RA's 갱신 checks. */
export const RENEWAL_CHECK_OPTIONS = {
  name: { type: 'string' },
  'idn-file': { type: 'string' },
  'account-file': { type: 'string' },
} as const

/**
 * Whether the center wants the RA's 갱신 checks before a kur: our center says so in /ra/info
 * (`renewalCheck`); a standard CMP CA has no RA API and renews on the signature alone.
 */
export async function centerWantsRaChecks(centerUrl: string): Promise<boolean> {
  try {
    const info = await new RaClient(centerUrl, 5_000).call('info', {})
    // A center from before the setting existed always asked for the checks.
    return info.renewalCheck !== 'signature'
  } catch {
    return false
  }
}

async function askRequired(io: CliIO, question: string): Promise<string> {
  if (!io.ask) throw new UsageError('the registration authority\'s checks need answers on standard input')
  const a = (await io.ask(question)).trim()
  if (!a) throw new UsageError('no answer given')
  return a
}

/** Asks again while the RA says the answer was wrong and tries remain; anything else goes up. */
async function untilAccepted(io: CliIO, question: string, send: (answer: string) => Promise<unknown>): Promise<void> {
  for (;;) {
    const answer = await askRequired(io, question)
    try {
      await send(answer)
      return
    } catch (err) {
      const remaining = err instanceof CertError ? err.params?.remaining : undefined
      if (typeof remaining !== 'number' || remaining <= 0) throw err
      io.err(`${err instanceof Error ? err.message : 'wrong answer'} (${remaining} tries left)`)
    }
  }
}

/**
 * The RA's 갱신 checks on the terminal, as the wizard runs them: identity (name, resident
 * number, account: from files or prompts), the SMS code and the security-card or OTP answer
 * (prompted on standard error, read from standard input); then the RA authorizes one kur for
 * this certificate. Nothing here is printed to standard output.
 */
export async function runRenewalChecks(centerUrl: string, args: ParsedArgs, io: CliIO, serialHex: string): Promise<void> {
  const ra = new RaClient(centerUrl)
  const fromFile = async (opt: string): Promise<string | undefined> => {
    const f = optionalString(args, opt)
    return f === undefined ? undefined : (await io.readSecret(f)).trim()
  }
  const name = optionalString(args, 'name') ?? (await askRequired(io, '이름 (name):'))
  const idn = (await fromFile('idn-file')) ?? (await askRequired(io, '주민등록번호 (resident number):'))
  const account = (await fromFile('account-file')) ?? (await askRequired(io, '계좌번호 (account number):'))
  const { sessionId } = await ra.call('sessions', { body: { name, idn: idn.replace(/-/g, ''), account: account.replace(/-/g, ''), purpose: 'renew', serialHex } })
  const sent = await ra.call('phone', { sessionId, body: { channel: 'sms' } })
  await untilAccepted(io, `인증번호 (SMS code sent to ${sent.to}):`, (code) => ra.call('phoneVerify', { sessionId, body: { code } }))
  const ch = await ra.call('mediumChallenge', { sessionId, body: {} })
  const question =
    ch.medium === 'card'
      ? `보안카드 (security card): first two digits of no. ${String(ch.slots[0]).padStart(2, '0')}, then last two digits of no. ${String(ch.slots[1]).padStart(2, '0')}:`
      : 'OTP (the 6-digit code of your authenticator):'
  await untilAccepted(io, question, (response) => ra.call('mediumVerify', { sessionId, body: { response } }))
  await ra.call('renewal', { sessionId, body: { serialHex } })
}
