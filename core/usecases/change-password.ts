import { changePassword, type ChangePasswordResult } from '../keys/keys'
import { changePfxPassword } from '../pfx/source'
import type { FsLayer } from '../storage/atomic'
import type { FilePorts } from './ports'

export type PasswordTarget = { folder: string } | { pfxFile: string }

export type FolderPasswordChanged = { kind: 'folder' } & ChangePasswordResult
export type PfxPasswordChanged = { kind: 'pfx'; profile: 'modern' | 'compatible' }
type Passwords = { oldPassword: string; newPassword: string }
type PasswordPorts = FilePorts & { fs?: FsLayer; iterations?: number }

/**
 * 암호 변경, for the certificate details panel and `certmgr passwd` alike. The new password must
 * pass the NPKI rule; the old one must open the key. A folder: signPri.key (and kmPri.key when
 * it opens with the old password) are re-encrypted, proved to open, and swapped as one unit.
 * A PFX file: rewritten in its own profile, read back, and replaced atomically. randomNum is
 * kept byte for byte. Stages: check, open, encrypt (a PFX: derive, verify), write, done; a
 * cancel before 'write' changes nothing.
 */
export async function changeCertificatePassword(target: { folder: string }, passwords: Passwords, ports?: PasswordPorts): Promise<FolderPasswordChanged>
export async function changeCertificatePassword(target: { pfxFile: string }, passwords: Passwords, ports?: PasswordPorts): Promise<PfxPasswordChanged>
export async function changeCertificatePassword(target: PasswordTarget, passwords: Passwords, ports: PasswordPorts = {}): Promise<FolderPasswordChanged | PfxPasswordChanged> {
  const opts = { ports, ...(ports.fs ? { fs: ports.fs } : {}), ...(ports.iterations !== undefined ? { iterations: ports.iterations } : {}) }
  if ('pfxFile' in target) return { kind: 'pfx', ...(await changePfxPassword(target.pfxFile, passwords.oldPassword, passwords.newPassword, opts)) }
  return { kind: 'folder', ...(await changePassword(target.folder, passwords.oldPassword, passwords.newPassword, opts)) }
}
