import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import QRCode from 'qrcode'
import type { centerCalls } from '../../shared/contract/center'
import type { enrollCalls, Destination } from '../../shared/contract/enroll'
import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { kindOf } from '../../shared/policy'
import { certIdFor, getFoundCert } from '../../core/certs/registry'
import { parseCertificate } from '../../core/certs/parse'
import { npkiRoots } from '../../core/certs/roots'
import { scanRoots } from '../../core/certs/scan'
import { revokedSerials } from '../../core/enroll/revoked'
import { generateRsaKey, issue, renew, type EnrollStage } from '../../core/enroll/cmp-client'
import { buildPkcs8WithRandomNum, newRandomNum } from '../../core/enroll/npki-key'
import { issuedFolder, saveIssued } from '../../core/enroll/save'
import { encryptSignPri, openSignKey } from '../../core/formats/signpri'
import { writeFolderAtomic } from '../../core/storage/atomic'
import type { Trash } from '../../core/storage/trash'
import type { HandlerContext, Handlers } from '../handler'
import { RaClient } from '../../core/enroll/ra-client'
import { availableModules, listTokens, type TokenInfo, type TokenRef } from '../../core/token/pkcs11'
import { issueOntoToken } from '../../core/enroll/token-issue'
import { PinGuard } from '../../core/token/pins'
import { REGISTER_CHALLENGE_BYTES, registrationSignedData } from '../../shared/register-challenge'

export interface WizardDeps {
  center: () => { url: string; embedded: boolean }
  trash: Trash
  /** PKCS#11 modules from settings, tried before the OS defaults; only these may be loaded. */
  tokenModules?: () => Promise<string[]>
  /**
   * Counts wrong token PINs. Pass the one the storage handlers use (same file) so the wizard
   * and the 보안토큰 tab share one count; otherwise the wizard keeps its own in memory.
   */
  pinGuard?: PinGuard
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

function requireNewPassword(pw: string | undefined): asserts pw is string {
  if (pw === undefined) throw new CertError('BAD_REQUEST', 'a password for the new certificate is required')
  const r = checkNewPassword(pw)
  if (!r.ok) throw new CertError('PASSWORD_RULE', r.message, { rule: r.rule })
}

function progress(ctx: HandlerContext, opId: string, stage: string, fraction?: number): void {
  ctx.emit({ type: 'progress', progress: fraction === undefined ? { opId, stage } : { opId, stage, fraction } })
}

/**
 * The CMP client's stages as the wizard shows them. Only 'request' and 'confirm' are steps of
 * their own; the client's 'done' comes after the wizard's 'save' and 'confirm' and must not
 * send the progress list back to 요청 ('waiting' is part of the request).
 */
function wizardStage(ctx: HandlerContext, opId: string, stage: EnrollStage): void {
  if (stage === 'request' || stage === 'waiting') progress(ctx, opId, 'request', 0.5)
  else if (stage === 'confirm') progress(ctx, opId, 'confirm', 0.7)
}

async function signCertOf(folder: string): Promise<{ certDer: Uint8Array; keyFile: Uint8Array }> {
  return { certDer: new Uint8Array(await readFile(join(folder, 'signCert.der'))), keyFile: new Uint8Array(await readFile(join(folder, 'signPri.key'))) }
}

export function createWizardHandlers(deps: WizardDeps): Handlers<typeof centerCalls & typeof enrollCalls> {
  const sessions = new Map<string, SessionInfo>()
  const running = new Map<string, AbortController>()
  const ra = () => new RaClient(deps.center().url)
  const defaultRoot = deps.defaultRoot ?? (() => npkiRoots()[0]!.path)
  const pinGuard = deps.pinGuard ?? new PinGuard()

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

  /** The token the renderer named, checked against the modules main is allowed to load. */
  async function tokenFor(dest: Extract<Destination, { kind: 'token' }>): Promise<{ ref: TokenRef; info: TokenInfo }> {
    const allowed = availableModules((await deps.tokenModules?.()) ?? [])
    // Loading a library runs its code: only modules from the configured or default list.
    if (dest.module !== undefined && !allowed.includes(dest.module)) throw new CertError('FORBIDDEN', 'this PKCS#11 module is not in the configured list')
    const slot = dest.slot.toLowerCase()
    const info = (await listTokens(dest.module !== undefined ? [dest.module] : allowed)).find((t) => t.slot === slot)
    if (!info) throw new CertError('TOKEN', 'the security token was not found (was it removed?)', { reason: 'token-removed' })
    return { ref: { module: info.module, slot }, info }
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
    throw new CertError('BAD_REQUEST', 'a security token is not a folder')
  }

  /**
   * 발급 / 재발급 onto a security token: the key pair is generated on the token (never leaves
   * it), the POPO and nothing else is signed there, and the certificate is stored beside the
   * key before certConf. Whatever fails or is cancelled before the center confirmed, the key
   * pair and anything stored with it are destroyed again.
   *
   * randomNum: NPKI keeps it inside the encrypted PKCS#8, which a token key does not have. It
   * is still generated and sent, so the center puts a VID in the certificate as for any NPKI
   * certificate (banks check it), and kept on the token as a private CKO_DATA object tied to
   * the key's CKA_ID, so an identity check (VID against the resident number) stays possible
   * after a PIN login, like after a password for a PC certificate.
   */
  async function issueToToken(
    req: { opId: string; sessionId: string; certType: 'limited' | 'general'; destination: Extract<Destination, { kind: 'token' }> },
    s: SessionInfo,
    ctx: HandlerContext,
  ) {
    const { ref, info } = await tokenFor(req.destination)
    const pin = req.destination.pin
    return withOp(req.opId, async (signal) => {
      const center = deps.center()
      progress(ctx, req.opId, 'keygen', 0.1)
      let feeKrw = 0
      const randomNum = newRandomNum()
      // The key is generated first: a wrong PIN stops there, before the RA hands out the one-time codes.
      const issued = await issueOntoToken({ ref, pin, session: { guard: pinGuard }, randomNum, signal }, async () => {
        const codes = await ra().post<Codes>(`/ra/sessions/${encodeURIComponent(req.sessionId)}/codes`, { certType: req.certType })
        feeKrw = codes.feeKrw
        progress(ctx, req.opId, 'request', 0.4)
        return {
          url: center.url,
          reference: codes.reference,
          authCode: codes.authCode,
          signal,
          onProgress: (stage: EnrollStage) => wizardStage(ctx, req.opId, stage),
          beforeConfirm: async () => progress(ctx, req.opId, 'save', 0.6),
        }
      })
      sessions.delete(req.sessionId)
      const f = parseCertificate(issued.certDer)
      const revoked = s.purpose === 'reissue' ? await trashRevoked(center.url, f.issuerDn, [], deps.trash) : []
      progress(ctx, req.opId, 'done', 1)
      ctx.emit({ type: 'certs-changed' })
      return {
        certId: `token:${issued.idHex}`,
        owner: f.owner,
        kind: kindOf(f.policyOid),
        issuerName: f.issuerName,
        serialHex: f.serialHex,
        notAfter: f.notAfter.toISOString(),
        location: 'token' as const,
        path: info.label,
        feeKrw,
        token: { label: info.label, idHex: issued.idHex },
        ...(revoked[0] ? { revokedSerialHex: revoked[0] } : {}),
      }
    })
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
      const dest = req.destination
      const password = req.password
      const s = session(req.sessionId)
      if (s.purpose !== 'issue' && s.purpose !== 'reissue') throw new CertError('BAD_REQUEST', 'this identity check was not made for issuing a certificate')
      if (dest.kind === 'token') return issueToToken({ ...req, destination: dest }, s, ctx)
      requireNewPassword(password)
      const { root, location } = await rootFor(dest)
      return withOp(req.opId, async (signal) => {
        const center = deps.center()
        // The RA hands out the codes only after the phone and the security medium were verified.
        const codes = await ra().post<Codes>(`/ra/sessions/${encodeURIComponent(req.sessionId)}/codes`, { certType: req.certType })
        progress(ctx, req.opId, 'keygen', 0.1)
        const key = await generateRsaKey(2048)
        signal.throwIfAborted()
        const randomNum = newRandomNum()
        progress(ctx, req.opId, 'request', 0.4)
        const onProgress = (stage: EnrollStage) => wizardStage(ctx, req.opId, stage)
        const pkcs8 = buildPkcs8WithRandomNum(key.privateKey, randomNum)
        let folder = ''
        let trashedId: string | undefined
        // Stored before certConf: if the drive is gone or full, the center is told to reject the
        // certificate instead of activating one whose key was never kept.
        const beforeConfirm = async (certDer: Uint8Array) => {
          progress(ctx, req.opId, 'save', 0.6)
          folder = await saveIssued(root, certDer, pkcs8, password).catch(async (err) => {
            // A reissue may land where the previous certificate of the same name is: the center
            // revokes that one, so it goes to the trash rather than being overwritten.
            if (s.purpose !== 'reissue' || (err as CertError).code !== 'CONFLICT') throw err
            trashedId = (await deps.trash.put(issuedFolder(root, certDer))).id
            return saveIssued(root, certDer, pkcs8, password)
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
