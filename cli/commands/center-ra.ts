import { readFileSync } from 'node:fs'
import { resolve as resolvePath } from 'node:path'
import type { Client } from '@libsql/client'
import QRCode from 'qrcode'
import { resolveConfig } from '../../center/config'
import { openCenterDb } from '../../center/db'
import { renderSecurityCard } from '../../center/ra/card'
import { Ra, type CertType, type EnrollmentPurpose, type Medium } from '../../center/ra/ra'
import { UsageError, optionalString, requirePositional, requireString, type CliIO, type Command, type ParsedArgs } from '../command'
import { centerStore, centerStoreOptions } from './center-store'

/** Opens the center's database (--data, or --db) and runs `fn` with an RA on it; always closes the database. */
async function withRa<T>(args: ParsedArgs, fn: (ra: Ra) => Promise<T>): Promise<T> {
  const { dataDir, dbUrl } = centerStore(args)
  const config = resolveConfig()
  const db: Client = await openCenterDb(dataDir, { dbUrl })
  try {
    return await fn(new Ra(db, { outboxDir: dataDir, keyDir: dataDir, fees: config.feesKrw, renewalWindowDays: config.renewalWindowDays }))
  } finally {
    db.close()
  }
}

function intOption(args: ParsedArgs, name: string): number | undefined {
  const v = optionalString(args, name)
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`)
  return Number(v)
}

function oneOf<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback?: T): T {
  const v = optionalString(args, name) ?? fallback
  if (v === undefined) throw new UsageError(`missing --${name}`)
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}`)
  return v as T
}

function json(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2))
}

const COUNTER_CODE_TTL_SECONDS = 86_400

const data = centerStoreOptions
const customer = { customer: { type: 'string' as const } }

/** Operator commands of the certification center's RA (the bank clerk's side). */
export const centerRaCommands: Command[] = [
  {
    name: 'center customer add',
    usage: 'center customer add --data DIR [--db URL] --name NAME --idn-file F --phone NUMBER [--account NUMBER] [--medium card|otp] [--balance KRW] [--json]',
    summary: 'Register a bank customer (resident number read from a file) with an account and a security card or OTP',
    options: {
      ...data,
      name: { type: 'string' },
      'idn-file': { type: 'string' },
      phone: { type: 'string' },
      account: { type: 'string' },
      medium: { type: 'string' },
      balance: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(args, io) {
      const name = requireString(args, 'name')
      const phone = requireString(args, 'phone')
      // Without --account the center opens one (a made-up 900... number).
      const account = optionalString(args, 'account')
      const medium = oneOf<Medium>(args, 'medium', ['card', 'otp'], 'card')
      const balanceKrw = intOption(args, 'balance')
      const idn = await io.readSecret(requireString(args, 'idn-file'))
      const created = await withRa(args, (ra) => ra.createCustomer({ name, idn: idn.trim(), phone, account, medium, balanceKrw }, 'operator'))
      if (args.values.json) {
        json(io, { id: created.customerId, account: created.account, medium: created.medium })
      } else {
        io.out(`customer ${created.customerId} registered (account ${created.account}, ${medium === 'card' ? 'security card' : 'OTP'})`)
        io.out(medium === 'card' ? `print the card: certmgr center card --data DIR [--db URL] --customer ${created.customerId}` : `enrol the OTP app: certmgr center otp --data DIR [--db URL] --customer ${created.customerId}`)
      }
      return 0
    },
  },
  {
    name: 'center customer unlock',
    usage: 'center customer unlock --data DIR [--db URL] --customer ID',
    summary: 'Clear the identity and security-medium lockouts after checking the customer in person',
    options: { ...data, ...customer },
    async run(args, io) {
      const id = requireString(args, 'customer')
      await withRa(args, (ra) => ra.unlockCustomer(id))
      io.out(`customer ${id} unlocked`)
      return 0
    },
  },
  {
    name: 'center codes',
    usage: 'center codes --data DIR [--db URL] --customer ID --type limited|general [--purpose issue|reissue] [--ttl SECONDS (default 86400)] [--json]',
    summary: 'Issue a reference number and authorization code (after checking ID in person)',
    options: { ...data, ...customer, type: { type: 'string' }, purpose: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } },
    async run(args, io) {
      const id = requireString(args, 'customer')
      const certType = oneOf<CertType>(args, 'type', ['limited', 'general'])
      const purpose = oneOf<EnrollmentPurpose>(args, 'purpose', ['issue', 'reissue'], 'issue')
      const ttl = intOption(args, 'ttl')
      // Codes handed over at the counter are used later at home, so they live a day unless told otherwise.
      const codes = await withRa(args, (ra) => ra.createEnrollmentCodes(id, certType, purpose, 'operator', ttl ?? COUNTER_CODE_TTL_SECONDS))
      if (args.values.json) {
        json(io, codes)
      } else {
        io.out(`참조번호 (reference number):     ${codes.reference}`)
        io.out(`인가코드 (authorization code):   ${codes.authCode}`)
        io.out(`valid until ${codes.expiresAt}${codes.feeKrw > 0 ? `; fee ${codes.feeKrw.toLocaleString('en-US')} KRW per year` : ''}`)
      }
      return 0
    },
  },
  {
    name: 'center card',
    usage: 'center card --data DIR [--db URL] --customer ID [--json]',
    summary: "Print the customer's security card",
    options: { ...data, ...customer, json: { type: 'boolean' } },
    async run(args, io) {
      const id = requireString(args, 'customer')
      const { card, bank } = await withRa(args, async (ra) => ({ card: await ra.securityCard(id), bank: ra.name }))
      if (args.values.json) json(io, { customerId: id, serial: card.serial, slots: card.slots })
      else io.out(renderSecurityCard(card, { bank, customerId: id }))
      return 0
    },
  },
  {
    name: 'center otp',
    usage: 'center otp --data DIR [--db URL] --customer ID [--json]',
    summary: "Show the customer's OTP enrolment URI and QR code for an authenticator app",
    options: { ...data, ...customer, json: { type: 'boolean' } },
    async run(args, io) {
      const id = requireString(args, 'customer')
      const uri = await withRa(args, (ra) => ra.otpUri(id))
      if (args.values.json) {
        json(io, { customerId: id, uri })
      } else {
        io.out(uri)
        io.out(await QRCode.toString(uri, { type: 'utf8', errorCorrectionLevel: 'M' }))
      }
      return 0
    },
  },
  {
    name: 'center outbox',
    usage: 'center outbox --data DIR [--db URL] [--limit N] [--json]',
    summary: 'Show the SMS/ARS messages the embedded center sent (newest first)',
    options: { ...data, limit: { type: 'string' }, json: { type: 'boolean' } },
    async run(args, io) {
      const limit = intOption(args, 'limit') ?? 20
      const messages = await withRa(args, (ra) => ra.outbox(limit))
      if (args.values.json) {
        json(io, messages)
      } else if (messages.length === 0) {
        io.out('the outbox is empty')
      } else {
        for (const m of messages) io.out(`${m.at}  ${m.channel.toUpperCase()} to ${m.to}\n    ${m.text}`)
      }
      return 0
    },
  },
  {
    name: 'center trust add',
    usage: 'center trust add --data DIR [--db URL] FILE [--json]',
    summary: "Trust another CA's certificate (PEM or DER) for 타기관 인증서 등록",
    options: { ...data, json: { type: 'boolean' } },
    async run(args, io) {
      const file = requirePositional(args, 0, 'the CA certificate file')
      let raw: Buffer
      try {
        raw = readFileSync(resolvePath(file))
      } catch {
        throw new UsageError(`cannot read ${file}`)
      }
      // A PEM file may hold several certificates (a CA and its issuer); each goes on the list.
      const text = raw.toString('latin1')
      const ders = text.includes('-----BEGIN CERTIFICATE-----')
        ? [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s/g, ''), 'base64')))
        : [new Uint8Array(raw)]
      const added = await withRa(args, async (ra) => {
        const out = []
        for (const der of ders) out.push(await ra.addTrustedCa(der))
        return out
      })
      if (args.values.json) json(io, added)
      else for (const a of added) io.out(`trusted ${a.subject.replace(/\n/g, ', ')} (SHA-256 ${a.fingerprint}, valid until ${a.notAfter})`)
      return 0
    },
  },
  {
    name: 'center trust list',
    usage: 'center trust list --data DIR [--db URL] [--json]',
    summary: 'List the CA certificates trusted for 타기관 인증서 등록',
    options: { ...data, json: { type: 'boolean' } },
    async run(args, io) {
      const list = await withRa(args, (ra) => ra.listTrustedCas())
      if (args.values.json) json(io, list)
      else if (list.length === 0) io.out('no other CA is trusted: 타기관 인증서 등록 accepts only certificates this center issued')
      else for (const a of list) io.out(`${a.fingerprint}  ${a.subject.replace(/\n/g, ', ')}  (until ${a.notAfter})`)
      return 0
    },
  },
  {
    name: 'center trust remove',
    usage: 'center trust remove --data DIR [--db URL] FINGERPRINT',
    summary: 'Stop trusting a CA certificate (by its SHA-256 fingerprint)',
    options: { ...data },
    async run(args, io) {
      const fingerprint = requirePositional(args, 0, 'the SHA-256 fingerprint')
      await withRa(args, (ra) => ra.removeTrustedCa(fingerprint))
      io.out('removed from the trust list')
      return 0
    },
  },
]
