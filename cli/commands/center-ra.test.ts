import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../certmgr'
import type { CliIO } from '../command'
import { openCenterDb } from '../../center/db'
import { Ra } from '../../center/ra/ra'
import { opensslCa, opensslCert } from '../../center/ra/testing'
import { base32Decode } from '../../center/ra/totp'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

const REPO = resolve(import.meta.dirname, '../..')

/** Runs certmgr as a user would: a separate Node process. */
function certmgr(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'cli/certmgr.ts', ...args], { cwd: REPO, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
  })
}

/** In-process run for the finer cases (each spawn costs seconds of CPU). */
async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIO = { out: (t) => void (out += t + '\n'), err: (t) => void (err += t + '\n'), readSecret: async () => '' }
  const code = await main(args, io)
  return { code, out, err }
}

let dir: string
let data: string
let store: TestStore
/** --db for the PostgreSQL run; nothing for SQLite (center.db under --data). */
const db = (): string[] => (store.dbUrl ? ['--db', store.dbUrl] : [])

beforeAll(async () => {
  store = await freshStore()
  dir = mkdtempSync(join(tmpdir(), 'ra-cli-'))
  data = join(dir, 'center')
  writeFileSync(join(dir, 'idn.txt'), '900101-1234567\n')
})

afterAll(async () => {
  await store.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('certmgr center (operator CLI)', () => {
  it('adds a customer, hands over codes and prints the card (spawned processes)', async () => {
    const add = await certmgr(['center', 'customer', 'add', '--data', data, ...db(), '--name', '홍길동', '--idn-file', join(dir, 'idn.txt'), '--phone', '010-1234-5678', '--account', '110-123-456789', '--json'])
    expect(add.stderr).toBe('')
    expect(add.code).toBe(0)
    const { id, account } = JSON.parse(add.stdout) as { id: string; account: string }
    expect(id).toMatch(/^C\d{9}$/)
    expect(account).toBe('110123456789')

    const [codes, card] = await Promise.all([
      certmgr(['center', 'codes', '--data', data, ...db(), '--customer', id, '--type', 'general', '--json']),
      certmgr(['center', 'card', '--data', data, ...db(), '--customer', id]),
    ])
    expect(codes.code).toBe(0)
    const { reference, authCode } = JSON.parse(codes.stdout) as { reference: string; authCode: string }
    expect(reference).toMatch(/^\d{8}$/)
    expect(card.code).toBe(0)
    expect(card.stdout).toContain('보안카드')
    expect(card.stdout.match(/\| \d{2} {2}\d{4} /g)).toHaveLength(30)

    const conn = await openCenterDb(data, { dbUrl: store.dbUrl })
    try {
      const ra = new Ra(conn, { keyDir: data })
      expect(await ra.lookupEnrollment(reference)).toMatchObject({ authCode, customerId: id, certType: 'general', purpose: 'issue' })
      expect((await ra.getCustomer(id))?.idn).toBe('9001011234567')
    } finally {
      conn.close()
    }
  })

  it('reads the resident number from standard input and enrols OTP', async () => {
    const add = await certmgr(['center', 'customer', 'add', '--data', data, ...db(), '--name', '김철수', '--idn-file', '-', '--phone', '01055556666', '--medium', 'otp', '--balance', '0', '--json'], '8001012345678\n')
    expect(add.code).toBe(0)
    const { id } = JSON.parse(add.stdout) as { id: string }
    const otp = await inProcess(['center', 'otp', '--data', data, ...db(), '--customer', id])
    expect(otp.code).toBe(0)
    const uri = otp.out.split('\n')[0] ?? ''
    expect(uri).toMatch(/^otpauth:\/\/totp\//)
    expect(base32Decode(new URL(uri).searchParams.get('secret') ?? '')).toHaveLength(20)
    // A QR code follows the URI.
    expect(otp.out.split('\n').length).toBeGreaterThan(10)
    const card = await inProcess(['center', 'card', '--data', data, ...db(), '--customer', id])
    expect(card.code).toBe(2)
    expect(card.err).toMatch(/uses an OTP device/)
  })

  it('shows the outbox as JSON and refuses bad usage with exit 2 and one line', async () => {
    const conn = await openCenterDb(data, { dbUrl: store.dbUrl })
    try {
      const ra = new Ra(conn, { outboxDir: data, keyDir: data })
      const { id } = (await conn.execute('SELECT id FROM ra_customers ORDER BY created_at LIMIT 1')).rows[0] as unknown as { id: string }
      const c = await ra.getCustomer(id)
      const s = await ra.openSession({ name: c!.name, idn: c!.idn, account: (await ra.accounts(id))[0]!.number, purpose: 'issue' })
      await ra.sendPhoneCode(s.sessionId, 'sms')
    } finally {
      conn.close()
    }
    const outbox = await inProcess(['center', 'outbox', '--data', data, ...db(), '--json'])
    expect(outbox.code).toBe(0)
    const messages = JSON.parse(outbox.out) as { to: string; channel: string; text: string }[]
    expect(messages[0]).toMatchObject({ to: '01012345678', channel: 'sms', text: expect.stringMatching(/인증번호 \d{6}/) })

    const badType = await certmgr(['center', 'codes', '--data', data, ...db(), '--customer', 'C000000000', '--type', 'gold'])
    expect(badType.code).toBe(2)
    expect(badType.stderr.trim().split('\n')).toHaveLength(1)
    expect(badType.stderr).toMatch(/--type must be one of/)
    const unknown = await inProcess(['center', 'codes', '--data', data, ...db(), '--customer', 'C000000000', '--type', 'limited'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/no such customer/)
  })

  it('keeps the trust list for 타기관 인증서 등록: add a PEM, list, refuse a non-CA, remove by fingerprint', async () => {
    const ca = opensslCa({ subject: '/C=kr/O=yessign/OU=AccreditedCA/CN=yessignCA-Test Class 4' })
    writeFileSync(join(dir, 'yessign.pem'), ca.certPem)
    writeFileSync(join(dir, 'leaf.der'), opensslCert({ days: 10, serialHex: '0a' }).certDer)
    const add = await inProcess(['center', 'trust', 'add', '--data', data, ...db(), join(dir, 'yessign.pem'), '--json'])
    expect(add.err).toBe('')
    expect(add.code).toBe(0)
    const [added] = JSON.parse(add.out) as { fingerprint: string; subject: string }[]
    expect(added?.subject).toContain('CN=yessignCA-Test Class 4')
    const list = await inProcess(['center', 'trust', 'list', '--data', data, ...db(), '--json'])
    expect((JSON.parse(list.out) as { fingerprint: string }[]).map((a) => a.fingerprint)).toEqual([added!.fingerprint])
    const leaf = await inProcess(['center', 'trust', 'add', '--data', data, ...db(), join(dir, 'leaf.der')])
    expect(leaf.code).toBe(2)
    expect(leaf.err).toMatch(/not a CA certificate/)
    expect((await inProcess(['center', 'trust', 'remove', '--data', data, ...db(), added!.fingerprint])).code).toBe(0)
    expect((await inProcess(['center', 'trust', 'list', '--data', data, ...db()])).out).toMatch(/no other CA is trusted/)
  })
})
