import { promises as fs } from 'node:fs'
import type { Name } from '@peculiar/asn1-x509'
import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { parseCertificate, type CertFacts } from '../certs/parse'
import type { NpkiRoot } from '../certs/roots'
import { generateRsaKey, issue } from '../enroll/cmp-client'
import { buildPkcs8WithRandomNum, newRandomNum } from '../enroll/npki-key'
import { issuedFolder, saveIssued } from '../enroll/save'
import { cmpStage, type EnrollCodes, type EnrollPorts } from './ports'
import { trashRevoked } from './trash-revoked'

export interface IssueToFolderInput {
  /** 발급 or 재발급: a reissue moves a folder of the same name to the trash instead of writing beside it. */
  purpose: 'issue' | 'reissue'
  /** The NPKI root the new certificate goes under (already checked against the roots the caller may write). */
  root: string
  /** Password for the new signPri.key; checked against the password rule before anything else happens. */
  password: string
  subject?: Name
  /** The one-time codes; asked for only after the password passed its rule. */
  codes: () => Promise<EnrollCodes>
  /** Folders searched for local copies of the certificate a reissue made the center revoke (default: `root`). */
  searchRoots?: NpkiRoot[]
}

export interface IssuedToFolder {
  folder: string
  certDer: Uint8Array
  facts: CertFacts
  feeKrw?: number
  /** Serials of local certificates moved to the trash because the center revoked them (재발급). */
  revokedSerials: string[]
}

/** Refuses a new password that breaks the NPKI rule, before any key is made or code spent. */
export function requireNewPassword(password: string | undefined): asserts password is string {
  if (password === undefined) throw new CertError('BAD_REQUEST', 'a password for the new certificate is required')
  const r = checkNewPassword(password)
  if (!r.ok) throw new CertError('PASSWORD_RULE', r.message, { rule: r.rule })
}

/**
 * 발급 / 재발급 into an NPKI folder. The new certificate and its key are stored BEFORE certConf;
 * if the store fails (drive gone, folder not writable, disk full) the CMP client answers
 * certConf with a rejection, so the center never activates a certificate whose key was lost
 * and the one-time codes work again. If the confirmation itself fails after the store, the
 * stored folder is removed again (the center never activated it) and a folder a reissue put
 * in the trash comes back.
 */
export async function issueToFolder(input: IssueToFolderInput, ports: EnrollPorts): Promise<IssuedToFolder> {
  const { password, root, purpose } = input
  requireNewPassword(password)
  const progress = ports.progress
  progress?.('keygen', 0.1)
  const key = await (ports.generateKey ?? (() => generateRsaKey(2048)))()
  ports.signal?.throwIfAborted()
  const randomNum = newRandomNum()
  progress?.('request', 0.4)
  // The codes (and the fee) are the request stage's, as on a token: a refusal such as a short
  // balance leaves key generation finished and the request as the stage that failed.
  const codes = await input.codes()
  ports.signal?.throwIfAborted()
  const pkcs8 = buildPkcs8WithRandomNum(key.privateKey, randomNum)
  let folder = ''
  let trashedId: string | undefined
  const beforeConfirm = async (certDer: Uint8Array): Promise<void> => {
    progress?.('save', 0.6)
    if (purpose === 'issue') {
      // A first issue never replaces anything: an older folder of the same name stays, the new one goes beside it.
      folder = await saveIssued(root, certDer, pkcs8, password, { onExists: 'suffix' })
      return
    }
    folder = await saveIssued(root, certDer, pkcs8, password).catch(async (err: unknown) => {
      // A reissue lands where the previous certificate of the same name is: the center revokes
      // that one, so it goes to the trash (restorable) rather than being overwritten.
      if (!(err instanceof CertError) || err.code !== 'CONFLICT') throw err
      trashedId = (await ports.trash.put(issuedFolder(root, certDer))).id
      return saveIssued(root, certDer, pkcs8, password)
    })
  }
  let certDer: Uint8Array
  try {
    ;({ certDer } = await issue({
      ...ports.center,
      reference: codes.reference,
      authCode: codes.authCode,
      privateKey: key.privateKey,
      publicKey: key.publicKey,
      subject: input.subject,
      randomNum,
      signal: ports.signal,
      onProgress: cmpStage(progress),
      beforeConfirm,
    }))
  } catch (err) {
    // Stored, but not confirmed (network, cancel): the center never activates that
    // certificate, so it must not stay on disk in place of a working one.
    if (folder) await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined)
    if (trashedId) await ports.trash.restore(trashedId, { overwrite: true }).catch(() => undefined)
    throw err
  }
  const facts = parseCertificate(certDer)
  const searchRoots = input.searchRoots ?? [{ path: root, source: 'settings', location: 'pc' }]
  const revoked = purpose === 'reissue' ? await trashRevoked(ports.center.url, certDer, searchRoots, ports.trash) : []
  progress?.('done', 1)
  return { folder, certDer, facts, feeKrw: codes.feeKrw, revokedSerials: revoked }
}
