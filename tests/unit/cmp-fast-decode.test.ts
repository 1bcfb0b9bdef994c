import { execFileSync } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { Certificate, type Name } from '@peculiar/asn1-x509'
import { afterAll, describe, expect, it } from 'vitest'
import { buildIrMessage } from '../../center/cmp/test-client'
import { issue } from '../../core/enroll/cmp-client'
import { PBMParameter, PKIMessage } from '../../shared/cmp/asn1'
import { fastDecodePKIMessage, fastPbmParameter } from '../../shared/cmp/fast-decode'
import { decodePKIMessage, popoCheck } from '../../shared/cmp/messages'

const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures/cmp')
const DER_FIELDS = new Set(['publicKeyDer', 'poposkInputDer', 'senderDer'])

/** A comparable picture of a decoded object: classes by name, bytes as hex, no unset fields. */
function picture(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== 'object') return v
  if (v instanceof ArrayBuffer) return `hex:${Buffer.from(v).toString('hex')}`
  if (ArrayBuffer.isView(v)) return `hex:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`
  if (v instanceof Date) return `date:${v.toISOString()}`
  if (Array.isArray(v)) return { class: v.constructor.name, items: v.map(picture) }
  const out: Record<string, unknown> = { class: v.constructor.name }
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k]
    if (x !== undefined && !DER_FIELDS.has(k)) out[k] = picture(x)
  }
  return out
}

/** A Name as openssl writes it (UTF8String, Korean included). */
function subjectByOpenssl(keyPem: string): Name {
  const dir = mkdtempSync(join(tmpdir(), 'subject-'))
  try {
    writeFileSync(join(dir, 'key.pem'), keyPem)
    const der = execFileSync('openssl', ['req', '-new', '-x509', '-utf8', '-key', join(dir, 'key.pem'), '-subj', '/C=KR/O=yessign/CN=홍길동', '-outform', 'DER'])
    return AsnConvert.parse(der, Certificate).tbsCertificate.subject
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const schemaDecode = (der: Uint8Array): PKIMessage => AsnConvert.parse(der, PKIMessage)

/** The requests the center sees: from our desktop client, the load-test builder and openssl cmp. */
async function corpus(): Promise<{ name: string; der: Uint8Array; fast: boolean }[]> {
  const out: { name: string; der: Uint8Array; fast: boolean }[] = []
  for (const [name, keyType] of [
    ['ec', 'ec'],
    ['rsa', 'rsa'],
  ] as const) {
    const { publicKey, privateKey } = keyType === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })
    const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
    for (const implicitConfirm of [false, true]) {
      for (const randomNum of [undefined, new Uint8Array(randomBytes(20))]) {
        const m = await buildIrMessage({ reference: 'R-0001', secret: 'auth-code-1234', spkiDer, privateKey, implicitConfirm, randomNum })
        out.push({ name: `test client ${name} implicit=${implicitConfirm} randomNum=${!!randomNum}`, der: m.der, fast: true })
      }
    }
  }
  // The desktop client's own ir, caught at the transport.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  for (const subject of [undefined, subjectByOpenssl(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)]) {
    let caught: Uint8Array | undefined
    await issue({
      url: 'http://127.0.0.1:9/.well-known/cmp',
      reference: 'R-0002',
      authCode: 'auth-code-5678',
      privateKey: rsa.privateKey,
      publicKey: rsa.publicKey,
      randomNum: new Uint8Array(randomBytes(20)),
      subject,
      transport: async (_url, der) => {
        caught = der
        return { status: 503, contentType: 'text/plain', body: new Uint8Array() }
      },
    }).catch(() => undefined)
    expect(caught).toBeDefined()
    out.push({ name: `desktop client ir subject=${!!subject}`, der: caught!, fast: true })
  }
  for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.der'))) {
    out.push({ name: `fixture ${f}`, der: new Uint8Array(readFileSync(join(FIXTURES, f))), fast: /^ir(_hmacsha256|_nullsender(_raverified)?)?\.der$/.test(f) })
  }
  return out
}

describe('fast CMP decoding', async () => {
  const messages = await corpus()

  it.each(messages.map((m) => [m.name, m] as const))('%s: same objects as the schema parser, and the same bytes back', (_name, m) => {
    const fast = fastDecodePKIMessage(m.der)
    if (m.fast) expect(fast, 'an ir/cr clients send must take the fast path').toBeDefined()
    if (!fast) return
    expect(picture(fast)).toEqual(picture(schemaDecode(m.der)))
    expect(Buffer.from(AsnConvert.serialize(fast)).equals(Buffer.from(m.der))).toBe(true)
    // The received bytes it keeps are exactly what the schema re-encodes.
    const req = fast.body.ir?.[0] ?? fast.body.cr?.[0]
    if (req) {
      const viaFast = popoCheck(req)
      const viaSchema = popoCheck((schemaDecode(m.der).body.ir ?? schemaDecode(m.der).body.cr)![0]!)
      expect(picture(viaFast)).toEqual(picture(viaSchema))
    }
  })

  it('never accepts damaged bytes the schema parser refuses, and never reads them differently', () => {
    let fastTaken = 0
    for (const m of messages.filter((x) => x.fast).slice(0, 6)) {
      const variants: Uint8Array[] = []
      for (let i = 0; i < m.der.length; i++) {
        for (const flip of [0x01, 0x80, 0xff]) {
          const d = m.der.slice()
          d[i]! ^= flip
          variants.push(d)
        }
      }
      for (const cut of [1, 2, 7, 40]) variants.push(m.der.slice(0, m.der.length - cut))
      for (const d of variants) {
        const fast = fastDecodePKIMessage(d)
        let schema: PKIMessage | undefined
        try {
          schema = schemaDecode(d)
        } catch {
          schema = undefined
        }
        if (!fast) continue
        fastTaken++
        expect(schema, 'fast path accepted what the schema parser refuses').toBeDefined()
        expect(picture(fast)).toEqual(picture(schema))
      }
    }
    expect(fastTaken).toBeGreaterThan(1000)
  })

  it('decodePKIMessage refuses what it refused before, with the same error', () => {
    const m = messages.find((x) => x.fast)!
    const cut = m.der.slice(0, -3)
    expect(() => decodePKIMessage(cut)).toThrow('not a DER CMP message')
    const bad = m.der.slice()
    bad[5] = 0xff // inside the header: neither parser can read it
    expect(() => decodePKIMessage(bad)).toThrow(/malformed CMP message|not a DER/)
  })

  it('reads PBMParameter as the schema does, and leaves odd encodings to it', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pbm-'))
    afterAll(() => rmSync(tmp, { recursive: true, force: true }))
    // openssl's own encoding of a PBMParameter (salt, sha256, 500, hmac-sha1).
    const cnf = join(tmp, 'pbm.cnf')
    writeFileSync(cnf, 'asn1=SEQUENCE:p\n[p]\nsalt=FORMAT:HEX,OCT:00112233445566778899aabbccddeeff\nowf=SEQUENCE:owf\niter=INT:500\nmac=SEQUENCE:mac\n[owf]\nalg=OID:sha256\n[mac]\nalg=OID:hmacWithSHA1\n')
    execFileSync('openssl', ['asn1parse', '-genconf', cnf, '-noout', '-out', join(tmp, 'pbm.der')])
    const der = new Uint8Array(readFileSync(join(tmp, 'pbm.der')))
    const fast = fastPbmParameter(der)
    expect(fast).toBeDefined()
    expect(picture(fast)).toEqual(picture(AsnConvert.parse(der, PBMParameter)))
    expect(fast!.iterationCount).toBe(500)
    // A non-minimal INTEGER is left to the schema parser rather than guessed.
    const nonMinimal = Buffer.from(der).toString('hex').replace('020201f4', '02030001f4')
    const long = new Uint8Array(Buffer.from(nonMinimal, 'hex'))
    long[1]! += 1
    expect(fastPbmParameter(long)).toBeUndefined()
  })
})
