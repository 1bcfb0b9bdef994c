import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import QRCode from 'qrcode'
import type { centerCalls } from '../../../shared/contract/center'
import type { enrollCalls, Destination } from '../../../shared/contract/enroll'
import { CertError } from '../../../shared/errors'
import { checkNewPassword } from '../../../shared/password-rule'
import { kindOf } from '../../../shared/policy'
import { certIdFor, getFoundCert } from '../certs/registry'
import { parseCertificate } from '../certs/parse'
import { npkiRoots } from '../certs/roots'
import { scanRoots } from '../certs/scan'
import { revokedSerials } from './revoked'
import { generateRsaKey, issue, renew, type EnrollStage } from '../enroll/cmp-client'
import { buildPkcs8WithRandomNum, newRandomNum } from '../enroll/npki-key'
import { issuedFolder, saveIssued } from '../enroll/save'
import { encryptSignPri, openSignKey } from '../formats/signpri'
import { writeFolderAtomic } from '../storage/atomic'
import type { Trash } from '../storage/trash'
import type { HandlerContext, Handlers } from '../handler'
import { RaClient } from './ra-client'
import { REGISTER_CHALLENGE_BYTES, registrationSignedData } from '../../../shared/register-challenge'

export interface WizardDeps {
  center: () => { url: string; embedded: boolean }
  trash: Trash
  /** Where 하드디스크 saves go by default (the OS's main NPKI folder, or CERTMGR_NPKI_ROOTS's first). */
  defaultRoot?: () => string
  /** The roots a certificate may be saved into; the renderer's choice must be one of them. */
  allowedRoots?: () => Promise<{ pc: string[]; usb: string[] }>
}

interface Codes {
  reference: string
  authCode: string
  feeKrw: number
}

/** What main remembers of an RA session; reference and authorization codes never leave main. */
interface SessionInfo {
  purpose: string
  serialHex?: string
}

function requireNewPassword(pw: string): void {
  const r = checkNewPassword(pw)
  if (!r.ok) throw new CertError('PASSWORD_RULE', r.message, { rule: r.rule })
}

function progress(ctx: HandlerContext, opId: string, stage: string, fraction?: number): void {
  ctx.emit({ type: 'progress', progress: fraction === undefined ? { opId, stage } : { opId, stage, fraction } })
}

async function signCertOf(folder: string): Promise<{ certDer: Uint8Array; keyFile: Uint8Array }> {
  return { certDer: new Uint8Array(await readFile(join(folder, 'signCert.der'))), keyFile: new Uint8Array(await readFile(join(folder, 'signPri.key'))) }
}

export function createWizardHandlers(deps: WizardDeps): Handlers<typeof centerCalls & typeof enrollCalls> {
  const sessions = new Map<string, SessionInfo>()
  const running = new Map<string, AbortController>()
  const ra = () => new RaClient(deps.center().url)
  const defaultRoot = deps.defaultRoot ?? (() => npkiRoots()[0]!.path)

  function session(id: string): SessionInfo {
    const s = sessions.get(id)
    if (!s) throw new CertError('NOT_FOUND', 'the identity check has expired; please start again', { reason: 'session' })
    return s
  }

  /** Runs a long operation under its opId so `enroll.cancel` can stop it. */
  async function withOp<T>(opId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (running.has(opId)) throw new CertError('CONFLICT', 'this operation is already running')
    const ac = new AbortController()
    running.set(opId, ac)
    try {
      return await fn(ac.signal)
    } catch (err) {
      if (ac.signal.aborted) throw new CertError('CANCELLED', 'cancelled')
      throw err
    } finally {
      running.delete(opId)
    }
  }

  async function rootFor(dest: Destination): Promise<{ root: string; location: 'pc' | 'usb' }> {
    if (dest.kind === 'pc' || dest.kind === 'usb') {
      const root = dest.kind === 'pc' ? (dest.root ?? defaultRoot()) : dest.root
      const allowed = await deps.allowedRoots?.()
      if (allowed && !allowed[dest.kind].some((r) => resolve(r) === resolve(root))) {
        throw new CertError(dest.kind === 'usb' ? 'IO' : 'FORBIDDEN', dest.kind === 'usb' ? 'the removable drive is no longer connected' : 'that folder is not one of the NPKI folders', dest.kind === 'usb' ? { reason: 'device' } : undefined)
      }
      return { root, location: dest.kind }
    }
    throw new CertError('UNSUPPORTED', 'issuing straight onto a security token is not available yet; issue to the PC and copy it to the token', { reason: 'token-issue' })
  }

  return {
    'center.info': async () => {
      const c = deps.center()
      try {
        const info = await new RaClient(c.url, 5_000).get<{ name: string; fees: { general: number; limited: number }; renewalWindowDays: number }>('/ra/info')
        return { url: c.url, embedded: c.embedded, name: info.name, feesKrw: info.fees, renewalWindowDays: info.renewalWindowDays, reachable: true }
      } catch {
        return { url: c.url, embedded: c.embedded, name: '', feesKrw: { general: 4400, limited: 0 }, renewalWindowDays: 30, reachable: false }
      }
    },
    'center.register': async (req) => {
      const r = await ra().post<{ customerId: string; account: string; medium: 'card' | 'otp'; card?: { serial: string; slots: string[] }; otpUri?: string }>('/ra/customers', {
        name: req.name,
        idn: req.idn.replace('-', ''),
        phone: req.phone,
        medium: req.medium,
      })
      return { ...r, ...(r.otpUri ? { otpQr: await QRCode.toDataURL(r.otpUri, { margin: 1, width: 220 }) } : {}) }
    },
    'center.outbox': async () => {
      const r = await ra().get<{ messages: { at: string; to: string; channel: string; text: string }[] }>('/ra/outbox')
      return { messages: r.messages.map((m) => ({ at: m.at, to: m.to, channel: m.channel, text: m.text })) }
    },
    'center.startSession': async (req) => {
      let serialHex: string | undefined
      if (req.certId) serialHex = getFoundCert(req.certId).facts?.serialHex
      const r = await ra().post<{ sessionId: string; medium: 'card' | 'otp' }>('/ra/sessions', {
        name: req.name,
        idn: req.idn.replace('-', ''),
        account: req.account,
        purpose: req.purpose,
        ...(serialHex ? { serialHex } : {}),
      })
      sessions.set(r.sessionId, { purpose: req.purpose, serialHex })
      return r
    },
    'center.sendPhoneCode': async (req) => {
      session(req.sessionId)
      return ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/phone`, { channel: req.channel })
    },
    'center.verifyPhone': async (req) => {
      session(req.sessionId)
      await ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/phone/verify`, { code: req.code })
      return { verified: true as const }
    },
    'center.mediumChallenge': async (req) => {
      session(req.sessionId)
      return ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/medium/challenge`, {})
    },
    'center.verifyMedium': async (req) => {
      session(req.sessionId)
      await ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/medium/verify`, { response: req.response })
      return { verified: true as const }
    },

    'enroll.issue': async (req, ctx) => {
      requireNewPassword(req.password)
      const s = session(req.sessionId)
      if (s.purpose !== 'issue' && s.purpose !== 'reissue') throw new CertError('BAD_REQUEST', 'this identity check was not made for issuing a certificate')
      const { root, location } = await rootFor(req.destination)
      return withOp(req.opId, async (signal) => {
        const center = deps.center()
        // The RA hands out the codes only after the phone and the security medium were verified.
        const codes = await ra().post<Codes>(`/ra/sessions/${encodeURIComponent(req.sessionId)}/codes`, { certType: req.certType })
        progress(ctx, req.opId, 'keygen', 0.1)
        const key = await generateRsaKey(2048)
        signal.throwIfAborted()
        const randomNum = newRandomNum()
        progress(ctx, req.opId, 'request', 0.4)
        const onProgress = (stage: EnrollStage) => progress(ctx, req.opId, stage === 'confirm' ? 'confirm' : 'request', stage === 'confirm' ? 0.7 : 0.5)
        const pkcs8 = buildPkcs8WithRandomNum(key.privateKey, randomNum)
        let folder = ''
        let trashedId: string | undefined
        // Stored before certConf: if the drive is gone or full, the center is told to reject the
        // certificate instead of activating one whose key was never kept.
        const beforeConfirm = async (certDer: Uint8Array) => {
          progress(ctx, req.opId, 'save', 0.6)
          folder = await saveIssued(root, certDer, pkcs8, req.password).catch(async (err) => {
            // A reissue may land where the previous certificate of the same name is: the center
            // revokes that one, so it goes to the trash rather than being overwritten.
            if (s.purpose !== 'reissue' || (err as CertError).code !== 'CONFLICT') throw err
            trashedId = (await deps.trash.put(issuedFolder(root, certDer))).id
            return saveIssued(root, certDer, pkcs8, req.password)
          })
        }
        const issued = await issue({ url: center.url, reference: codes.reference, authCode: codes.authCode, privateKey: key.privateKey, publicKey: key.publicKey, randomNum, signal, onProgress, beforeConfirm }).catch(
          async (err: unknown) => {
            // Saved, but the confirmation failed (network, cancel): the center never activates
            // that certificate, so it must not stay on disk in place of a working one.
            if (folder) await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined)
            if (trashedId) await deps.trash.restore(trashedId, { overwrite: true }).catch(() => undefined)
            throw err
          },
        )
        sessions.delete(req.sessionId)
        const f = parseCertificate(issued.certDer)
        // 재발급: the center revoked the previous certificate; its local copy goes to the trash
        // (restorable for 30 days) so the list does not offer a revoked certificate.
        const revoked = s.purpose === 'reissue' ? await trashRevoked(center.url, f.issuerDn, [root], deps.trash) : []
        progress(ctx, req.opId, 'done', 1)
        ctx.emit({ type: 'certs-changed' })
        return {
          certId: certIdFor(folder),
          owner: f.owner,
          kind: kindOf(f.policyOid),
          issuerName: f.issuerName,
          serialHex: f.serialHex,
          notAfter: f.notAfter.toISOString(),
          location,
          path: folder,
          feeKrw: codes.feeKrw,
          ...(revoked[0] ? { revokedSerialHex: revoked[0] } : {}),
        }
      })
    },

    'enroll.renew': async (req, ctx) => {
      const s = session(req.sessionId)
      if (s.purpose !== 'renew') throw new CertError('BAD_REQUEST', 'this identity check was not made for renewal')
      const found = getFoundCert(req.certId)
      if (found.state === 'expired') throw new CertError('CONFLICT', 'an expired certificate cannot be renewed; use reissue', { reason: 'expired' })
      const folder = found.path
      const { certDer, keyFile } = await signCertOf(folder)
      const old = openSignKey(certDer, keyFile, req.password)
      const serialHex = parseCertificate(certDer).serialHex
      return withOp(req.opId, async (signal) => {
        await ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/renewal`, { serialHex })
        progress(ctx, req.opId, 'keygen', 0.1)
        const key = await generateRsaKey(2048)
        signal.throwIfAborted()
        const randomNum = old.randomNum ?? newRandomNum()
        progress(ctx, req.opId, 'request', 0.4)
        const pkcs8 = buildPkcs8WithRandomNum(key.privateKey, randomNum)
        const keyFile = encryptSignPri(pkcs8, req.password, { scheme: 'A' })
        let trashedId: string | undefined
        const beforeConfirm = async (newCertDer: Uint8Array) => {
          progress(ctx, req.opId, 'save', 0.6)
          trashedId = await replaceInPlace(folder, newCertDer, keyFile, deps.trash)
        }
        const renewed = await renew({ url: deps.center().url, oldCertDer: certDer, oldKey: old.privateKey, newKey: key.privateKey, randomNum, signal, beforeConfirm }).catch(async (err: unknown) => {
          // The renewal was not confirmed: the old certificate is still the valid one, so it goes
          // back in place of the new, never-activated one.
          if (trashedId) await deps.trash.restore(trashedId, { overwrite: true }).catch(() => undefined)
          throw err
        })
        sessions.delete(req.sessionId)
        progress(ctx, req.opId, 'done', 1)
        ctx.emit({ type: 'certs-changed' })
        const f = parseCertificate(renewed.certDer)
        return {
          certId: certIdFor(folder),
          owner: f.owner,
          kind: kindOf(f.policyOid),
          issuerName: f.issuerName,
          serialHex: f.serialHex,
          notAfter: f.notAfter.toISOString(),
          location: found.root.location,
          path: folder,
        }
      })
    },

    'enroll.registerForeign': async (req) => {
      session(req.sessionId)
      const found = getFoundCert(req.certId)
      const { certDer, keyFile } = await signCertOf(found.path)
      const opened = openSignKey(certDer, keyFile, req.password)
      if (!opened.randomNum) throw new CertError('UNSUPPORTED', 'this certificate’s key carries no randomNum, so its identity cannot be checked', { reason: 'no-randomnum' })
      const { challenge } = await ra().post<{ challenge: string }>(`/ra/sessions/${encodeURIComponent(req.sessionId)}/register/challenge`, {})
      const { sign } = await import('node:crypto')
      // Only a fresh 32-byte challenge, and only behind the registration label: the key never
      // signs bytes a (possibly hostile) center chose on their own.
      const bytes = Buffer.from(challenge, 'base64')
      if (bytes.length !== REGISTER_CHALLENGE_BYTES) throw new CertError('CENTER', 'the certification center sent an unusable signing challenge', { reason: 'challenge' })
      const signature = sign('sha256', registrationSignedData(bytes), opened.privateKey)
      return ra().post(`/ra/sessions/${encodeURIComponent(req.sessionId)}/register`, {
        certDer: Buffer.from(certDer).toString('base64'),
        signature: signature.toString('base64'),
        randomNum: Buffer.from(opened.randomNum).toString('base64'),
      })
    },

    'enroll.cancel': async ({ opId }) => {
      const ac = running.get(opId)
      ac?.abort()
      return { cancelled: !!ac }
    },
  }
}

/** Moves local certificates of this issuer that its CRL lists as revoked to the trash. */
async function trashRevoked(centerUrl: string, issuerDn: string, extraRoots: string[], trash: Trash): Promise<string[]> {
  const serials = await revokedSerials(centerUrl)
  if (!serials?.size) return []
  const roots = npkiRoots({ extra: extraRoots })
  const moved: string[] = []
  for (const c of scanRoots(roots).certs) {
    if (!c.facts || c.facts.issuerDn !== issuerDn || !serials.has(c.facts.serialHex)) continue
    await trash.put(c.path).then(() => moved.push(c.facts!.serialHex), () => undefined)
  }
  return moved
}

/**
 * Renewal replaces the certificate where it is: the new pair is staged beside the folder,
 * the old folder goes to the trash (kept 30 days), and the staged folder takes its name. If
 * the last step fails, the old certificate is restored from the trash.
 */
async function replaceInPlace(folder: string, certDer: Uint8Array, keyFile: Uint8Array, trash: Trash): Promise<string> {
  const files: Record<string, Uint8Array> = {}
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    if (entry.isFile() && !/^sign(cert\.der|pri\.key)$/i.test(entry.name)) files[entry.name] = new Uint8Array(await fs.readFile(join(folder, entry.name)))
  }
  files['signCert.der'] = certDer
  files['signPri.key'] = keyFile
  const staged = join(dirname(folder), `.${basename(folder)}.${randomBytes(6).toString('hex')}.tmp`)
  await writeFolderAtomic(staged, files)
  let trashed: { id: string } | undefined
  try {
    trashed = await trash.put(folder)
    await fs.rename(staged, folder)
  } catch (err) {
    await fs.rm(staged, { recursive: true, force: true }).catch(() => undefined)
    if (trashed) await trash.restore(trashed.id).catch(() => undefined)
    throw err
  }
  return trashed.id
}
