/**
 * Issue 12: the renewal recovery decides which certificate to keep (and which to throw away)
 * from the center's CRL. Read without checking its signature, anyone on the way to the center
 * (or a stale cache) could make the app discard the certificate the center keeps active. The
 * CRL is accepted only when the CA that issued the certificate being renewed signed it; a
 * forged, unsigned or re-keyed one leaves the outcome unknown, so nothing is decided. Nor does a
 * correctly signed CRL issued before the renewal started (replayed): it cannot know the outcome.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { AsnConvert } from '@peculiar/asn1-schema'
import { CertificateList, RevokedCertificate, Time } from '@peculiar/asn1-x509'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCenter, type RunningCenter } from '../../center/center'
import { crlSignedBy, revokedSerials } from '../../core/enroll/revoked'
import { Trash } from '../../core/storage/trash'
import { issueToFolder } from '../../core/usecases/issue-to-folder'
import { activeAfterRenewal, CRL_CLOCK_SKEW_MS, crlNotBefore } from '../../core/usecases/renewal-journal'
import { tempDir } from '../helpers/fixtures'

let center: RunningCenter
let oldDer: Uint8Array
let oldSerial = ''
let caDer: Uint8Array

/** A center stand-in on loopback: each path answers what the test puts in `routes` (404 otherwise). */
async function serve(routes: Record<string, () => Promise<Uint8Array> | Uint8Array>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const route = routes[req.url ?? '']
    if (!route) return void res.writeHead(404).end()
    void Promise.resolve(route()).then((body) => res.writeHead(200).end(Buffer.from(body)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** The center's real CRL with `serial` added to it, signed again with `key` (not the CA's). */
async function forgedCrl(serial: string, key: Parameters<typeof nodeSign>[2] | 'zero'): Promise<Uint8Array> {
  const crl = AsnConvert.parse(await center.ca.crlDer(), CertificateList)
  const entries = crl.tbsCertList.revokedCertificates ?? []
  entries.push(new RevokedCertificate({ userCertificate: new Uint8Array(Buffer.from(serial.length % 2 ? '0' + serial : serial, 'hex')).buffer, revocationDate: new Time(new Date()) }))
  crl.tbsCertList.revokedCertificates = entries
  const tbs = AsnConvert.serialize(crl.tbsCertList)
  crl.signature = key === 'zero' ? new ArrayBuffer(256) : new Uint8Array(nodeSign('sha256', Buffer.from(tbs), key)).buffer
  return new Uint8Array(AsnConvert.serialize(crl))
}

beforeAll(async () => {
  center = await startCenter({ host: '127.0.0.1', port: 0, dataDir: tempDir('certmgr-crl-center-'), validityDays: 20, renewalRequiresRa: false, renewalWindowDays: 365 })
  const { customerId } = await center.ra.createCustomer({ name: '홍길동', idn: '9001011234568', phone: '010-1234-5678', balanceKrw: 100_000 })
  const codes = await center.ra.createEnrollmentCodes(customerId, 'limited', 'issue')
  const r = await issueToFolder(
    { purpose: 'issue', root: join(tempDir('certmgr-crl-root-'), 'NPKI'), password: 'Qwer!9a8s7d', codes: async () => codes },
    { center: { url: center.url }, trash: new Trash(tempDir('certmgr-crl-data-')) },
  )
  oldDer = r.certDer
  oldSerial = r.facts.serialHex
  caDer = center.ca.caCertDer()
})

afterAll(async () => {
  await center?.close()
})

describe('renewal recovery reads only a CRL signed by the issuing CA', () => {
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })

  it('the center\'s own CRL verifies against its CA certificate', async () => {
    expect(crlSignedBy(await center.ca.crlDer(), caDer)).toBe(true)
    // The old certificate is active and not renewed: its CRL says so, and the old one is kept.
    expect(await activeAfterRenewal(center.url, oldSerial, 'abcdef01', oldDer)).toBe('old')
  })

  it('renewal recovery refuses a forged CRL (listing the active certificate, signed by another key) and decides nothing', async () => {
    const forged = await forgedCrl(oldSerial, attacker.privateKey)
    expect(crlSignedBy(forged, caDer)).toBe(false)
    const fake = await serve({ '/crl': () => forged, '/ca.crt': () => caDer })
    try {
      // Unchecked, this CRL says the old certificate was superseded, i.e. "keep the new one".
      expect(await revokedSerials(fake.url, oldDer)).toBeUndefined()
      expect(await activeAfterRenewal(fake.url, oldSerial, 'abcdef01', oldDer)).toBe('unknown')
    } finally {
      await fake.close()
    }
  })

  it('renewal recovery refuses an unsigned CRL (signature bits zeroed)', async () => {
    const unsigned = await forgedCrl(oldSerial, 'zero')
    const fake = await serve({ '/crl': () => unsigned, '/ca.crt': () => caDer })
    try {
      expect(await activeAfterRenewal(fake.url, oldSerial, 'abcdef01', oldDer)).toBe('unknown')
    } finally {
      await fake.close()
    }
  })

  it('renewal recovery refuses a CRL signed by a CA certificate swapped in beside it (not the issuer of our certificate)', async () => {
    // The attacker serves its own key as "the CA" too: it never signed our certificate, so it is not our CA.
    const forged = await forgedCrl(oldSerial, attacker.privateKey)
    const fake = await serve({ '/crl': () => forged, '/ca.crt': () => new Uint8Array(attacker.publicKey.export({ type: 'spki', format: 'der' })) })
    try {
      expect(await activeAfterRenewal(fake.url, oldSerial, 'abcdef01', oldDer)).toBe('unknown')
    } finally {
      await fake.close()
    }
  })

  it('a center without /crl (or without /ca.crt) leaves the outcome unknown: nothing is decided', async () => {
    const noCrl = await serve({ '/ca.crt': () => caDer })
    const noCa = await serve({ '/crl': () => center.ca.crlDer() })
    try {
      expect(await activeAfterRenewal(noCrl.url, oldSerial, 'abcdef01', oldDer)).toBe('unknown')
      expect(await activeAfterRenewal(noCa.url, oldSerial, 'abcdef01', oldDer)).toBe('unknown')
    } finally {
      await noCrl.close()
      await noCa.close()
    }
  })

  it('a genuine CRL relayed by another host is accepted: the signature, not the address, is what counts', async () => {
    await center.ca.revokeSerial(oldSerial, 4)
    const relay = await serve({ '/crl': () => center.ca.crlDer(), '/ca.crt': () => caDer })
    try {
      expect(await activeAfterRenewal(relay.url, oldSerial, 'abcdef01', oldDer)).toBe('new')
    } finally {
      await relay.close()
    }
  })
})

describe('renewal recovery reads only a CRL issued after the renewal started', () => {
  const thisUpdateOf = (der: Uint8Array): number => AsnConvert.parse(der, CertificateList).tbsCertList.thisUpdate.getTime().getTime()

  it('renewal recovery refuses a replayed older CRL (correctly signed, issued before the renewal started) and decides nothing', async () => {
    // A genuine CRL of this center, captured now and replayed later by someone on the way.
    const captured = await center.ca.crlDer()
    expect(crlSignedBy(captured, caDer)).toBe(true)
    // It lists neither certificate of a renewal that started after it: read as an answer, it would say "keep the old one".
    const replay = await serve({ '/crl': () => captured, '/ca.crt': () => caDer })
    try {
      const startedLater = new Date(thisUpdateOf(captured) + CRL_CLOCK_SKEW_MS + 60_000).toISOString()
      expect(await activeAfterRenewal(replay.url, 'abcdef02', 'abcdef03', oldDer)).toBe('old')
      expect(await revokedSerials(replay.url, oldDer, { notBefore: crlNotBefore({ at: startedLater, startedAt: startedLater }) })).toBeUndefined()
      expect(await activeAfterRenewal(replay.url, 'abcdef02', 'abcdef03', oldDer, crlNotBefore({ at: startedLater, startedAt: startedLater }))).toBe('unknown')
      // Within the documented clock skew the same CRL is still taken as issued after the start.
      const startedWithinSkew = new Date(thisUpdateOf(captured) + CRL_CLOCK_SKEW_MS - 60_000).toISOString()
      expect(await activeAfterRenewal(replay.url, 'abcdef02', 'abcdef03', oldDer, crlNotBefore({ at: startedWithinSkew, startedAt: startedWithinSkew }))).toBe('old')
    } finally {
      await replay.close()
    }
  })

  it('the center re-signs its CRL when asked for it later, so a renewal that changed nothing on it still gets a fresh answer', async () => {
    const before = thisUpdateOf(await center.ca.crlDer())
    await new Promise((r) => setTimeout(r, 1_100))
    const startedAt = new Date(Date.now() - 50).toISOString()
    const res = await fetch(center.url + '/crl')
    const served = new Uint8Array(await res.arrayBuffer())
    expect(crlSignedBy(served, caDer)).toBe(true)
    expect(thisUpdateOf(served)).toBeGreaterThan(before)
    // No skew allowed at all: the center's own answer is issued after this renewal started.
    expect(thisUpdateOf(served)).toBeGreaterThanOrEqual(Math.floor(Date.parse(startedAt) / 1000) * 1000)
    expect(await activeAfterRenewal(center.url, 'abcdef02', 'abcdef03', oldDer, crlNotBefore({ at: startedAt, startedAt }))).toBe('old')
  })
})
