import { randomBytes, X509Certificate } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { parseCertificate, type CertFacts } from '../certs/parse'
import { renew, type ExternalKey } from '../enroll/cmp-client'
import { PENDING_KEY_LABEL } from '../enroll/token-issue'
import { deleteFromToken, generateTokenKey, listTokenCerts, readTokenCert, signWithToken, storeCertOnToken, tokenRandomNum, type SessionOptions, type TokenRef } from '../token/pkcs11'
import { cmpStage, type EnrollPorts } from './ports'
import { activeAfterRenewal, crlNotBefore, settleTokenRenewals, tokenIdentity, type CenterNow, type PendingTokenRenewal, type RenewalJournal } from './renewal-journal'

export interface RenewTokenInput {
  token: TokenRef
  pin: string
  session?: SessionOptions
  /** CKA_ID of the certificate to renew; may be left out when the token holds exactly one certificate with its key. */
  idHex?: string
  /** The RA's consent to this renewal, when the center asks for one. */
  authorize?: (serialHex: string) => Promise<void>
}

export interface RenewedToken {
  idHex: string
  oldIdHex: string
  certDer: Uint8Array
  facts: CertFacts
}

function tokenKey(t: RenewTokenInput, idHex: string, spkiDer: Uint8Array): ExternalKey {
  return { publicKeySpki: spkiDer, algorithm: 'rsa-sha256', sign: (data) => signWithToken(t.token, t.pin, idHex, data, t.session) }
}

/**
 * 갱신 of a certificate on a security token: a new key pair is generated on the token, the kur
 * is protected by a signature of the old token key (and the POPO signed by the new one), and
 * the new certificate with the randomNum is stored beside the new key before certConf (a
 * failed store is a rejection). The old certificate, key pair and randomNum are removed only
 * once the center confirmed; until then any failure the center's answer settles removes the
 * new key pair again, so the token is left as it was. The renewal is in the journal, naming the
 * new pair's CKA_ID, before that pair is generated and until that point: a process killed in between is settled the next
 * time the token is opened with its PIN (settleTokenRenewals, also run here first), and a
 * lost answer the center cannot be asked about now leaves both pairs until then.
 */
export async function renewOnToken(
  t: RenewTokenInput,
  ports: Omit<EnrollPorts, 'generateKey' | 'trash'> & { journal?: RenewalJournal; centerNow?: CenterNow },
): Promise<RenewedToken> {
  const progress = ports.progress
  const journal = ports.journal
  // An earlier renewal on this token that a crash left open is settled before a new one starts.
  if (journal) await settleTokenRenewals(journal, t.token, t.pin, t.session, ports.centerNow)
  const certs = (await listTokenCerts(t.token, t.pin, t.session)).filter((c) => c.hasPrivateKey)
  const chosen = t.idHex !== undefined ? certs.find((c) => c.idHex === t.idHex!.toLowerCase()) : certs.length === 1 ? certs[0] : undefined
  if (!chosen) {
    throw t.idHex !== undefined || certs.length === 0
      ? new CertError('NOT_FOUND', 'no certificate with its key was found on the token', { reason: 'token-cert' })
      : new CertError('BAD_REQUEST', 'the token holds several certificates; name one by its id', { reason: 'token-cert-ambiguous' })
  }
  const oldIdHex = chosen.idHex
  const oldCertDer = await readTokenCert(t.token, t.pin, oldIdHex, t.session)
  const oldFacts = parseCertificate(oldCertDer)
  if (oldFacts.notAfter.getTime() <= Date.now()) throw new CertError('CONFLICT', 'an expired certificate cannot be renewed; use reissue', { reason: 'expired' })
  const randomNum = await tokenRandomNum(t.token, t.pin, oldIdHex, t.session)
  await t.authorize?.(oldFacts.serialHex)
  ports.signal?.throwIfAborted()
  progress?.('keygen', 0.1)
  const startedAt = new Date().toISOString()
  const oldSpki = new Uint8Array(new X509Certificate(Buffer.from(oldCertDer)).publicKey.export({ type: 'spki', format: 'der' }))
  const identity = journal ? await tokenIdentity(t.token, t.pin, t.session) : undefined
  // The new pair's CKA_ID is chosen before it exists, so the journal names it before the token
  // holds it: a kill -9 at any point after this leaves no key pair the journal does not know.
  const newIdHex = randomBytes(20).toString('hex')
  let confirmed = false
  let keepBoth = false
  let stored: Uint8Array | undefined
  let pending: PendingTokenRenewal | undefined
  try {
    if (journal && identity) {
      pending = {
        kind: 'token',
        token: identity,
        oldIdHex,
        newIdHex,
        centerUrl: ports.center.url,
        oldSerialHex: oldFacts.serialHex,
        oldCertDer: Buffer.from(oldCertDer).toString('base64'),
        at: new Date().toISOString(),
        startedAt,
      }
      await journal.add(pending)
    }
    const fresh = await generateTokenKey(t.token, t.pin, { label: PENDING_KEY_LABEL, idHex: newIdHex }, t.session)
    ports.signal?.throwIfAborted()
    progress?.('request', 0.4)
    const r = await renew({
      ...ports.center,
      oldCertDer,
      oldKey: tokenKey(t, oldIdHex, oldSpki),
      newKey: tokenKey(t, fresh.idHex, fresh.spkiDer),
      randomNum,
      signal: ports.signal,
      onProgress: cmpStage(progress),
      beforeConfirm: async (certDer) => {
        progress?.('save', 0.6)
        await storeCertOnToken(t.token, t.pin, { certDer, idHex: fresh.idHex, randomNum }, t.session)
        stored = certDer
      },
    }).catch(async (err: unknown) => {
      // Stored, but the answer to certConf was not seen (lost pkiConf): ask the center which
      // certificate it keeps active before anything on the token is removed.
      if (!stored) throw err
      const outcome = await activeAfterRenewal(ports.center.url, oldFacts.serialHex, parseCertificate(stored).serialHex, stored, crlNotBefore({ startedAt, at: startedAt }))
      if (outcome === 'new') return { certDer: stored, caCerts: [] }
      if (outcome === 'unknown' && pending) {
        // The center cannot say now: both pairs stay, and the journal settles it when the token is next opened.
        keepBoth = true
        throw new CertError('NETWORK', 'the renewal was sent, but whether the center activated it is not known yet; it is checked again when the token is next opened', { reason: 'renewal-unsettled' })
      }
      throw err
    })
    confirmed = true
    // Only now is the old certificate superseded at the center: its objects may go.
    await deleteFromToken(t.token, t.pin, oldIdHex, t.session).catch(() => undefined)
    if (pending) await journal!.remove(pending)
    progress?.('done', 1)
    return { idHex: fresh.idHex, oldIdHex, certDer: r.certDer, facts: parseCertificate(r.certDer) }
  } finally {
    if (!confirmed && !keepBoth) {
      await deleteFromToken(t.token, t.pin, newIdHex, t.session).catch(() => undefined)
      if (pending) await journal!.remove(pending).catch(() => undefined)
    }
  }
}
