import { CertError } from '../../shared/errors'
import { checkNewPassword } from '../../shared/password-rule'
import { readPfx, writePfx, type KdfOptions, type PfxContents, type PfxProfile } from '../formats/pfx'
import { readRandomNum } from '../formats/signpri'
import { noRandomNum, normalizeIdn, readIdentifyData, type VidResult, verifyVid } from '../formats/vid'
import { realFs, writeFileAtomic, type FsLayer } from '../storage/atomic'
import { ioError, sameBytes } from '../storage/folder'
import { readPfxFile } from './read-file'
import { enterStage, type FilePorts } from '../progress/file-stages'

/**
 * Commands that work on "a certificate and its key" (passwd, verify-id) accept a PFX file as
 * well as an NPKI folder; this is the PFX side of them.
 */

/** True when a path names a PFX file rather than an NPKI folder. */
export function isPfxPath(path: string): boolean {
  return /\.(pfx|p12)$/i.test(path)
}

export interface KeySource {
  certDer: Uint8Array
  pkcs8: Uint8Array
  randomNum?: Uint8Array
  pfx: PfxContents
}

/** Opens a PFX file: WRONG_PASSWORD, DAMAGED, KEY_MISMATCH or NOT_FOUND as readPfx and the disk say. */
export async function loadKeySource(path: string, password: string, opts: KdfOptions = {}): Promise<KeySource> {
  let bytes: Uint8Array
  try {
    bytes = await readPfxFile(path)
  } catch (err) {
    throw ioError(err, 'source')
  }
  const pfx = await readPfx(bytes, password, opts)
  let randomNum: Uint8Array | undefined
  try {
    randomNum = readRandomNum(pfx.pkcs8)
  } catch {
    randomNum = undefined
  }
  return randomNum ? { certDer: pfx.certDer, pkcs8: pfx.pkcs8, randomNum, pfx } : { certDer: pfx.certDer, pkcs8: pfx.pkcs8, pfx }
}

/** The profile a PFX was written in, judged by its key encryption (kept when it is rewritten). */
export function profileOf(pfx: PfxContents): PfxProfile {
  return pfx.encryption.startsWith('PBES2') || pfx.macAlgorithm === 'sha256' ? 'modern' : 'compatible'
}

/**
 * Changes a PFX file's password in place (atomically), keeping the key bytes (randomNum), the
 * chain, the friendly name and the profile. The new password must pass the NPKI rule, as for
 * key folders, because the PFX is usually imported into software that applies it.
 */
export async function changePfxPassword(
  path: string,
  oldPassword: string,
  newPassword: string,
  opts: { profile?: PfxProfile; iterations?: number; fs?: FsLayer; ports?: FilePorts } = {},
): Promise<{ profile: PfxProfile }> {
  const ports = opts.ports
  enterStage(ports, 'check', 0)
  const rule = checkNewPassword(newPassword)
  if (!rule.ok) throw new CertError('PASSWORD_RULE', rule.message, { rule: rule.rule })
  enterStage(ports, 'open', 0)
  // The old file's key derivation hears a cancel in its worker.
  const { pfx } = await loadKeySource(path, oldPassword, ports?.signal ? { signal: ports.signal } : {})
  const profile = opts.profile ?? profileOf(pfx)
  enterStage(ports, 'derive', 0)
  const out = await writePfx(
    { certDer: pfx.certDer, pkcs8: pfx.pkcs8, chain: pfx.chain, ...(pfx.friendlyName !== undefined ? { friendlyName: pfx.friendlyName } : {}) },
    newPassword,
    profile,
    { ...(opts.iterations ? { iterations: opts.iterations } : {}), ...(ports?.signal ? { signal: ports.signal } : {}) },
  )
  enterStage(ports, 'verify', 0)
  const back = await readPfx(out, newPassword, ports?.signal ? { signal: ports.signal } : {})
  if (!sameBytes(back.pkcs8, pfx.pkcs8)) throw new CertError('INTERNAL', 'the rewritten PFX did not verify')
  enterStage(ports, 'write', 0)
  try {
    await writeFileAtomic(path, out, opts.fs ?? realFs)
  } catch (err) {
    throw ioError(err, 'destination')
  }
  ports?.progress?.('done', 1)
  return { profile }
}

/** 본인확인 against a PFX: the same VID check as for a folder, with randomNum from the PFX's key. */
export async function verifyPfxIdentity(path: string, password: string, idn: string): Promise<VidResult> {
  const normalized = normalizeIdn(idn)
  const src = await loadKeySource(path, password)
  if (!readIdentifyData(src.certDer)) return 'no-vid'
  if (!src.randomNum) throw noRandomNum()
  return verifyVid(src.certDer, src.randomNum, normalized)
}
