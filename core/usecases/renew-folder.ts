import { readRegularFile } from '../storage/regular-file'
import { join } from 'node:path'
import { CertError } from '../../shared/errors'
import { parseCertificate, type CertFacts } from '../certs/parse'
import { generateRsaKey, renew } from '../enroll/cmp-client'
import { buildPkcs8WithRandomNum, newRandomNum } from '../enroll/npki-key'
import { saveRenewed, SIGN_CERT, SIGN_KEY } from '../enroll/save'
import { openSignKey } from '../formats/signpri'
import { cmpStage, type EnrollPorts } from './ports'
import { activeAfterRenewal, crlNotBefore, settleRenewal, type PendingRenewal, type RenewalJournal } from './renewal-journal'

export interface RenewFolderInput {
  /** The certificate folder; the renewed certificate replaces it where it is. */
  folder: string
  /** The current password; the new key is written under the same one. */
  password: string
  /**
   * The RA's consent to this renewal, when the center asks for one (the wizard's 갱신 session,
   * or the checks `certmgr renew` runs on the terminal). Runs once the key opened, so a wrong
   * password costs nothing at the center.
   */
  authorize?: (serialHex: string) => Promise<void>
}

export interface RenewedFolder {
  folder: string
  certDer: Uint8Array
  facts: CertFacts
  /** The previous folder's trash entry. */
  trashId: string
}

/** The folder's signCert.der and signPri.key; a folder without them is not a certificate folder. */
export async function readSignPair(folder: string): Promise<{ certDer: Uint8Array; keyFile: Uint8Array }> {
  try {
    return { certDer: new Uint8Array(await readRegularFile(join(folder, SIGN_CERT))), keyFile: new Uint8Array(await readRegularFile(join(folder, SIGN_KEY))) }
  } catch {
    throw new CertError('NOT_FOUND', `not a certificate folder (needs ${SIGN_CERT} and ${SIGN_KEY}): ${folder}`, { reason: 'not-cert-folder' })
  }
}

/**
 * 갱신 of a certificate in a folder: a new key pair, a kur signed with the current key, and the
 * new pair stored before certConf. The folder is replaced in place only once the new pair is
 * completely written (staged beside it, the old folder to the trash, then renamed); a failed
 * store is a rejection, so the center keeps the old certificate active. The randomNum is kept,
 * so the VID (and with it bank and Hometax registrations) survives the renewal.
 */
export async function renewFolder(input: RenewFolderInput, ports: EnrollPorts & { journal?: RenewalJournal }): Promise<RenewedFolder> {
  const { folder, password } = input
  const progress = ports.progress
  const { certDer, keyFile } = await readSignPair(folder)
  const old = openSignKey(certDer, keyFile, password)
  const oldFacts = parseCertificate(certDer)
  if (oldFacts.notAfter.getTime() <= Date.now()) throw new CertError('CONFLICT', 'an expired certificate cannot be renewed; use reissue', { reason: 'expired' })
  const startedAt = new Date().toISOString()
  progress?.('keygen', 0.1)
  const key = await (ports.generateKey ?? (() => generateRsaKey(2048)))()
  ports.signal?.throwIfAborted()
  const randomNum = old.randomNum ?? newRandomNum()
  progress?.('request', 0.4)
  // The center's authorization (window, owner) belongs to the request stage, as for issuing.
  await input.authorize?.(oldFacts.serialHex)
  ports.signal?.throwIfAborted()
  const pkcs8 = buildPkcs8WithRandomNum(key.privateKey, randomNum)
  let trashId: string | undefined
  let pending: PendingRenewal | undefined
  const beforeConfirm = async (newCertDer: Uint8Array): Promise<void> => {
    progress?.('save', 0.6)
    // Journaled before the folder changes: a crash from here on is settled at the next start
    // by asking the center which certificate it activated (recoverRenewals).
    pending = {
      folder,
      centerUrl: ports.center.url,
      oldSerialHex: oldFacts.serialHex,
      newSerialHex: parseCertificate(newCertDer).serialHex,
      newCertDer: Buffer.from(newCertDer).toString('base64'),
      at: new Date().toISOString(),
      startedAt,
    }
    await ports.journal?.add(pending)
    ;({ trashId } = await saveRenewed(folder, newCertDer, pkcs8, password, ports.trash))
  }
  let renewed: Uint8Array
  try {
    ;({ certDer: renewed } = await renew({
      ...ports.center,
      oldCertDer: certDer,
      oldKey: old.privateKey,
      newKey: key.privateKey,
      randomNum,
      signal: ports.signal,
      onProgress: cmpStage(progress),
      beforeConfirm,
    }))
  } catch (err) {
    if (!pending) throw err
    if (!trashId) {
      // The new pair was never stored (the center was told to reject it): nothing changed here.
      await ports.journal?.remove(folder)
      throw err
    }
    // Stored, but the confirmation's answer was not seen (lost pkiConf, network, cancel): the
    // center may have activated the new certificate or not. Ask it, and keep that one.
    const outcome = await activeAfterRenewal(ports.center.url, pending.oldSerialHex, pending.newSerialHex, Buffer.from(pending.newCertDer, 'base64'), crlNotBefore(pending))
    if (outcome === 'new') {
      await ports.journal?.remove(folder)
      progress?.('done', 1)
      const certDer = new Uint8Array(Buffer.from(pending.newCertDer, 'base64'))
      return { folder, certDer, facts: parseCertificate(certDer), trashId }
    }
    if (outcome === 'old' || !ports.journal) {
      // Not activated: the old certificate is still the valid one, so it goes back in place
      // of the new, never-activated one.
      await settleRenewal(pending, 'old', ports.trash).catch(() => undefined)
      await ports.journal?.remove(folder)
      throw err
    }
    // Unknown (the center cannot be asked now): both pairs are kept, the journal settles it at the next start.
    throw new CertError('NETWORK', 'the renewal was sent, but whether the center activated it is not known yet; it is checked again at the next start', { reason: 'renewal-unsettled' })
  }
  await ports.journal?.remove(folder)
  progress?.('done', 1)
  return { folder, certDer: renewed, facts: parseCertificate(renewed), trashId: trashId! }
}
