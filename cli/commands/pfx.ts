import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { exportPfxFile } from '../../core/usecases/pfx-export'
import { importPfxFile } from '../../core/usecases/pfx-import'
import { CertError } from '../../shared/errors'
import { withFilePorts } from '../file-ports'
import { optionalString, requirePositional, requireString, UsageError, type Command, oneStdinAtMost } from '../command'

const PROFILES = ['modern', 'compatible'] as const

function profileArg(v: string | undefined): 'modern' | 'compatible' {
  if (v === undefined) return 'modern'
  if ((PROFILES as readonly string[]).includes(v)) return v as 'modern' | 'compatible'
  throw new UsageError(`--profile must be modern or compatible, not '${v}'`)
}


const exportCmd: Command = {
  name: 'export-pfx',
  usage: 'export-pfx PATH --out FILE --password-file F [--pfx-password-file G] [--profile modern|compatible] [--overwrite]',
  summary:
    'Write a certificate folder as a PFX (randomNum kept); an existing FILE is replaced only with --overwrite, and a PFX password of its own must pass the NPKI rule. modern (default): AES-256 + HMAC-SHA256; compatible: 3DES + SHA-1 MAC for older Windows, macOS, Android and bank software',
  options: {
    out: { type: 'string' },
    'password-file': { type: 'string' },
    'pfx-password-file': { type: 'string' },
    profile: { type: 'string' },
    overwrite: { type: 'boolean' },
  },
  async run(args, io) {
    const folder = requirePositional(args, 0, 'PATH (a certificate folder)')
    const out = requireString(args, 'out')
    const pwFile = requireString(args, 'password-file')
    const pfxPwFile = optionalString(args, 'pfx-password-file')
    const profile = profileArg(optionalString(args, 'profile'))
    oneStdinAtMost({ '--password-file': pwFile, '--pfx-password-file': pfxPwFile })
    const st = await stat(folder).catch(() => undefined)
    if (!st?.isDirectory()) throw new UsageError(`not a certificate folder: ${folder}`)
    const password = await io.readSecret(pwFile)
    const pfxPassword = pfxPwFile !== undefined ? await io.readSecret(pfxPwFile) : undefined
    const input = { folder, password, profile, outPath: resolve(out), overwrite: args.values.overwrite === true, ...(pfxPassword !== undefined ? { pfxPassword } : {}) }
    const r = await withFilePorts(io, 'export-pfx', (ports) => exportPfxFile(input, ports)).catch((err: unknown) => {
      if (err instanceof CertError && err.code === 'CONFLICT' && err.params?.reason === 'file-exists') {
        throw new CertError('CONFLICT', `${out} already exists; pass --overwrite to replace it`, err.params)
      }
      throw err
    })
    // The path as the user gave it (the use-case works on its absolute form).
    io.out(`exported: ${out} (profile ${r.profile}${r.hasRandomNum ? ', randomNum kept' : ', the key has no randomNum'})`)
    return 0
  },
}

const importCmd: Command = {
  name: 'import-pfx',
  usage: 'import-pfx FILE --root DIR --password-file F [--key-password-file G] [--replace]',
  summary: 'Import a PFX into an NPKI folder as <CA>/USER/<DN>/signCert.der + signPri.key; the key keeps the PFX password unless G gives a new one',
  options: {
    root: { type: 'string' },
    'password-file': { type: 'string' },
    'key-password-file': { type: 'string' },
    replace: { type: 'boolean' },
  },
  async run(args, io, ctx) {
    const file = requirePositional(args, 0, 'FILE (a .pfx or .p12 file)')
    const root = ctx.roots.given(requireString(args, 'root')).path
    const pwFile = requireString(args, 'password-file')
    const keyPwFile = optionalString(args, 'key-password-file')
    oneStdinAtMost({ '--password-file': pwFile, '--key-password-file': keyPwFile })
    const st = await stat(file).catch(() => undefined)
    if (!st?.isFile()) throw new UsageError(`no such file: ${file}`)
    const pfxPassword = await io.readSecret(pwFile)
    const keyPassword = keyPwFile !== undefined ? await io.readSecret(keyPwFile) : undefined
    const input = { source: resolve(file), pfxPassword, root: resolve(root), ...(keyPassword !== undefined ? { keyPassword } : {}), replace: args.values.replace === true }
    const r = await withFilePorts(io, 'import-pfx', (ports) => importPfxFile(input, ports))
    const what = r.outcome === 'identical' ? 'already present' : r.outcome === 'replaced' ? 'replaced' : 'imported'
    io.out(`${what}: ${r.folder}${r.hasRandomNum ? '' : ' (the key has no randomNum: identity checks will not work)'}`)
    return 0
  },
}

export const pfxCommands: Command[] = [exportCmd, importCmd]
