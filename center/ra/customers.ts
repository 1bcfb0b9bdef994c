import { randomInt } from 'node:crypto'
import type { Row } from '@libsql/client'
import { CertError } from '../../shared/errors'
import { newSecurityCard, type SecurityCard } from './card'
import { bad, digits, num, str, type Actor, type Medium, type RaContext } from './ra-context'
import { newTotpSecret, otpauthUri } from './totp'

export interface Customer {
  id: string
  name: string
  idn: string
  phone: string
  bankCode: string
}

export interface NewCustomer {
  name: string
  idn: string
  phone: string
  account?: string
  medium?: Medium
  balanceKrw?: number
}

export interface CreatedCustomer {
  customerId: string
  account: string
  medium: Medium
  card?: { serial: string; slots: string[] }
  otpUri?: string
}

// Customers of the bank: identity (sealed resident number), accounts and the security medium.

export async function createCustomer(ctx: RaContext, input: NewCustomer, actor: Actor = 'operator'): Promise<CreatedCustomer> {
  const name = (input.name ?? '').trim().normalize('NFC')
  if (name.length < 1 || name.length > 40) throw bad('name', 'the name must be 1 to 40 characters')
  const idn = digits(input.idn ?? '')
  if (!/^(\d{13}|\d{10})$/.test(idn)) throw bad('idn', 'the resident number must have 13 digits (or 10 for a business)')
  const phone = digits(input.phone ?? '')
  if (!/^0\d{8,10}$/.test(phone)) throw bad('phone', 'the phone number must have 9 to 11 digits and start with 0')
  const medium: Medium = input.medium ?? 'card'
  if (medium !== 'card' && medium !== 'otp') throw bad('medium', "the security medium must be 'card' or 'otp'")
  let account = input.account !== undefined ? digits(input.account) : undefined
  if (account !== undefined && !/^\d{10,14}$/.test(account)) throw bad('account', 'the account number must have 10 to 14 digits')
  const balance = input.balanceKrw ?? ctx.startingBalanceKrw
  if (!Number.isSafeInteger(balance) || balance < 0) throw bad('balance', 'the balance must be a whole number of won, 0 or more')

  const box = await ctx.box()
  const idnMac = box.mac('idn', idn)
  const card = medium === 'card' ? newSecurityCard() : undefined
  const otpSecret = medium === 'otp' ? newTotpSecret() : undefined
  const at = ctx.ms()

  const customerId = await ctx.tx(async (tx) => {
    const dup = await tx.execute({ sql: 'SELECT 1 FROM ra_customers WHERE idn_mac = ?', args: [idnMac] })
    if (dup.rows.length > 0) throw new CertError('CONFLICT', 'a customer with this resident number already exists', { reason: 'customer-exists' })
    if (account !== undefined) {
      const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_accounts WHERE number = ?', args: [account] })
      if (taken.rows.length > 0) throw new CertError('CONFLICT', 'this account number is already in use', { reason: 'account-exists' })
    } else {
      for (;;) {
        // 900 is not a prefix real Korean banks use, so a made-up account never looks real.
        const candidate = '900' + String(randomInt(0, 1e9)).padStart(9, '0')
        const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_accounts WHERE number = ?', args: [candidate] })
        if (taken.rows.length === 0) {
          account = candidate
          break
        }
      }
    }
    let id: string
    for (;;) {
      id = 'C' + String(randomInt(0, 1e9)).padStart(9, '0')
      const taken = await tx.execute({ sql: 'SELECT 1 FROM ra_customers WHERE id = ?', args: [id] })
      if (taken.rows.length === 0) break
    }
    await tx.execute({
      sql: 'INSERT INTO ra_customers (id, name, idn_sealed, idn_mac, phone, bank_code, medium, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      args: [id, name, box.seal(idn, `idn:${id}`), idnMac, phone, ctx.bankCode, medium, at],
    })
    await tx.execute({ sql: 'INSERT INTO ra_accounts (number, customer_id, balance_krw, created_at) VALUES (?, ?, ?, ?)', args: [account!, id, balance, at] })
    const secret = card ? JSON.stringify(card) : Buffer.from(otpSecret!).toString('base64')
    await tx.execute({
      sql: 'INSERT INTO ra_media (customer_id, kind, secret_sealed, created_at) VALUES (?, ?, ?, ?)',
      args: [id, medium, box.seal(secret, `medium:${id}`), at],
    })
    return id
  })
  await ctx.audit(actor, 'customer.create', 'ok', { customerId }, { medium })
  return {
    customerId,
    account: account!,
    medium,
    ...(card ? { card: { serial: card.serial, slots: card.slots } } : {}),
    ...(otpSecret ? { otpUri: otpauthUri(otpSecret, ctx.name, customerId) } : {}),
  }
}

export async function getCustomer(ctx: RaContext, customerId: string): Promise<Customer | undefined> {
  const row = await ctx.one('SELECT id, name, idn_sealed, phone, bank_code FROM ra_customers WHERE id = ?', [customerId])
  if (!row) return undefined
  const box = await ctx.box()
  return { id: str(row.id), name: str(row.name), idn: box.open(str(row.idn_sealed), `idn:${str(row.id)}`), phone: str(row.phone), bankCode: str(row.bank_code) }
}

export async function accounts(ctx: RaContext, customerId: string): Promise<{ number: string; balanceKrw: number }[]> {
  const rs = await ctx.db.execute({ sql: 'SELECT number, balance_krw FROM ra_accounts WHERE customer_id = ? ORDER BY created_at, number', args: [customerId] })
  return rs.rows.map((r) => ({ number: str(r.number), balanceKrw: num(r.balance_krw) }))
}

export async function mediumRow(ctx: RaContext, customerId: string): Promise<Row> {
  const row = await ctx.one('SELECT kind, secret_sealed, failures, locked_at, otp_last_step FROM ra_media WHERE customer_id = ?', [customerId])
  if (!row) throw new CertError('NOT_FOUND', 'the customer has no security medium', { reason: 'medium' })
  return row
}

/** The customer's security card, for printing by the operator. */
export async function securityCard(ctx: RaContext, customerId: string): Promise<SecurityCard> {
  const row = await mediumRow(ctx, customerId)
  if (row.kind !== 'card') throw new CertError('CONFLICT', 'this customer uses an OTP device, not a security card', { reason: 'medium-kind' })
  const card = JSON.parse((await ctx.box()).open(str(row.secret_sealed), `medium:${customerId}`)) as SecurityCard
  await ctx.audit('operator', 'medium.card.show', 'ok', { customerId })
  return card
}

/** otpauth:// URI for the customer's authenticator app. */
export async function otpUri(ctx: RaContext, customerId: string): Promise<string> {
  const row = await mediumRow(ctx, customerId)
  if (row.kind !== 'otp') throw new CertError('CONFLICT', 'this customer uses a security card, not OTP', { reason: 'medium-kind' })
  const secret = Buffer.from((await ctx.box()).open(str(row.secret_sealed), `medium:${customerId}`), 'base64')
  await ctx.audit('operator', 'medium.otp.show', 'ok', { customerId })
  return otpauthUri(secret, ctx.name, customerId)
}

/** Operator action after an in-person ID check: clears identity and medium lockouts. */
export async function unlockCustomer(ctx: RaContext, customerId: string): Promise<void> {
  const n = await ctx.run('UPDATE ra_customers SET identity_failures = 0, identity_locked_at = NULL WHERE id = ?', [customerId])
  if (n === 0) throw new CertError('NOT_FOUND', 'no such customer', { reason: 'customer' })
  await ctx.run('UPDATE ra_media SET failures = 0, locked_at = NULL WHERE customer_id = ?', [customerId])
  await ctx.audit('operator', 'customer.unlock', 'ok', { customerId })
}
