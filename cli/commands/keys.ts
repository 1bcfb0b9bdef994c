import { stat } from 'node:fs/promises'
import { verifyIdentity } from '../../core/keys/keys'
import { isPfxPath, verifyPfxIdentity } from '../../core/pfx/source'
import { changeCertificatePassword } from '../../core/usecases/change-password'
import { withFilePorts } from '../file-ports'
import { requirePositional, requireString, UsageError, type Command, type ParsedArgs, oneStdinAtMost } from '../command'

/** PATH is an NPKI certificate folder or a .pfx/.p12 file. */
async function certPath(args: ParsedArgs): Promise<{ path: string; pfx: boolean }> {
  const path = requirePositional(args, 0, 'PATH (a certificate folder or a .pfx file)')
  const st = await stat(path).catch(() => undefined)
  if (!st) throw new UsageError(`no such file or folder: ${path}`)
  if (isPfxPath(path) && st.isFile()) return { path, pfx: true }
  if (!st.isDirectory()) throw new UsageError(`not a certificate folder or .pfx file: ${path}`)
  return { path, pfx: false }
}

const passwd: Command = {
  name: 'passwd',
  usage: 'passwd PATH --password-file OLD --new-password-file NEW',
  summary: 'Change the password of a certificate folder (signPri.key and kmPri.key) or a PFX file, keeping randomNum',
  options: {
    'password-file': { type: 'string' },
    'new-password-file': { type: 'string' },
  },
  async run(args, io) {
    const target = await certPath(args)
    const oldFile = requireString(args, 'password-file')
    const newFile = requireString(args, 'new-password-file')
    oneStdinAtMost({ '--password-file': oldFile, '--new-password-file': newFile })
    const oldPassword = await io.readSecret(oldFile)
    const newPassword = await io.readSecret(newFile)
    const passwords = { oldPassword, newPassword }
    if (target.pfx) {
      const p = await withFilePorts(io, 'passwd', (ports) => changeCertificatePassword({ pfxFile: target.path }, passwords, ports))
      io.out(`password changed: ${target.path} (PFX, profile ${p.profile})`)
      return 0
    }
    const r = await withFilePorts(io, 'passwd', (ports) => changeCertificatePassword({ folder: target.path }, passwords, ports))
    const km = r.km === 'changed' ? `; kmPri.key changed too (scheme ${r.kmScheme})` : r.km === 'skipped' ? '; kmPri.key left unchanged (it does not open with the old password)' : ''
    io.out(`password changed: signPri.key (scheme ${r.signScheme})${km}`)
    return 0
  },
}

const verifyId: Command = {
  name: 'verify-id',
  usage: 'verify-id PATH --password-file F --idn-file I',
  summary: 'Check that the certificate belongs to a resident registration number (VID, 본인확인)',
  options: {
    'password-file': { type: 'string' },
    'idn-file': { type: 'string' },
  },
  async run(args, io) {
    const target = await certPath(args)
    const pwFile = requireString(args, 'password-file')
    const idnFile = requireString(args, 'idn-file')
    oneStdinAtMost({ '--password-file': pwFile, '--idn-file': idnFile })
    const password = await io.readSecret(pwFile)
    const idn = (await io.readSecret(idnFile)).trim()
    const result = target.pfx ? await verifyPfxIdentity(target.path, password, idn) : await verifyIdentity(target.path, password, idn)
    if (result === 'match') {
      io.out('identity verified: the certificate belongs to this number')
      return 0
    }
    if (result === 'no-vid') {
      io.err('certmgr verify-id: this certificate carries no VID')
      return 1
    }
    io.err('certmgr verify-id: identity mismatch: the certificate does not belong to this number')
    return 1
  },
}

export const keysCommands: Command[] = [passwd, verifyId]
