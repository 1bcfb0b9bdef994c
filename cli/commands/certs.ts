import { statSync } from 'node:fs'
import { readRegularFileSync } from '../../core/storage/regular-file'
import { basename, dirname, resolve } from 'node:path'
import { policyInfo } from '../../shared/policy'
import { CertError } from '../../shared/errors'
import { fingerprints } from '../../core/certs/parse'
import type { NpkiRoot } from '../../core/certs/roots'
import { readCertFolder, scanRoots, type FoundCert } from '../../core/certs/scan'
import { certState, daysLeft } from '../../shared/cert-state'
import { kindOf } from '../../shared/policy'
import { isPfxPath, loadKeySource } from '../../core/pfx/source'
import { parseCertificate } from '../../core/certs/parse'
import { UsageError, optionalString, requirePositional, type Command } from '../command'

/** The stable JSON shape of `list --json` and `show --json` (documented in the README). */
export function certJson(c: FoundCert) {
  const f = c.facts
  return {
    path: c.path,
    owner: f?.owner ?? null,
    subject: f?.subjectDn ?? null,
    issuer: f?.issuerDn ?? null,
    issuerName: f?.issuerName ?? null,
    caFolder: f?.caFolder ?? c.caDir,
    serial: f?.serialHex ?? null,
    notBefore: f?.notBefore.toISOString() ?? null,
    notAfter: f?.notAfter.toISOString() ?? null,
    daysLeft: c.daysLeft ?? null,
    state: c.state,
    kind: c.kind,
    policyOid: f?.policyOid ?? null,
    policyName: policyInfo(f?.policyOid)?.en ?? null,
    location: c.root.location,
    damaged: c.damaged ?? null,
    hasKmPair: c.hasKmPair,
  }
}

const STATE_TEXT: Record<string, string> = { valid: 'valid', renewable: 'renewable', expired: 'EXPIRED', 'not-yet-valid': 'not yet valid', damaged: 'DAMAGED' }

function line(c: FoundCert): string {
  const f = c.facts
  if (!f) return `[damaged] ${c.path}: ${c.damaged}`
  const days = c.state === 'expired' ? 'expired' : `${c.daysLeft} days left`
  return `${f.owner}  ${c.kind}  ${f.issuerName}  until ${f.notAfter.toISOString().slice(0, 10)} (${days}, ${STATE_TEXT[c.state]})${c.damaged ? ` [${c.damaged}]` : ''}\n    ${c.path}`
}

/** A PFX file given on the command line: its certificate, read with the PFX password. */
async function readPfxArg(path: string, password: string): Promise<{ found: FoundCert; certDer: Uint8Array }> {
  const abs = resolve(path)
  const { certDer } = await loadKeySource(abs, password)
  const facts = parseCertificate(certDer)
  const found: FoundCert = {
    path: abs,
    root: { path: dirname(abs), source: 'settings', location: 'file' },
    caDir: facts.caFolder,
    files: [basename(abs)],
    facts,
    hasKey: true,
    hasKmPair: false,
    state: certState(facts.notBefore, facts.notAfter),
    kind: kindOf(facts.policyOid),
    daysLeft: daysLeft(facts.notAfter),
  }
  return { found, certDer }
}

/** A certificate folder given on the command line, read as the list would read it. */
export function readFolderArg(path: string): FoundCert {
  const abs = resolve(path)
  const isDir = statSync(abs, { throwIfNoEntry: false })?.isDirectory()
  if (isDir === undefined) throw new CertError('NOT_FOUND', `no such file or folder: ${path}`)
  if (!isDir) throw new CertError('BAD_REQUEST', `not a certificate folder: ${path}`)
  const root: NpkiRoot = { path: dirname(dirname(dirname(abs))), source: 'settings', location: 'pc' }
  return readCertFolder(abs, root, basename(dirname(dirname(abs))))
}

export const certsCommands: Command[] = [
  {
    name: 'list',
    usage: 'list [--root DIR]... [--json]',
    summary: 'List the certificates in the NPKI folders (or the given roots; a folder holding an NPKI folder, such as a drive or a home folder, is looked into) with owner, kind, expiry and state.',
    options: { root: { type: 'string', multiple: true }, json: { type: 'boolean' } },
    async run(args, io, ctx) {
      const given = (args.values.root as string[] | undefined) ?? []
      const { certs, roots: reports } = given.length ? scanRoots(given.map((p) => ctx.roots.given(p))) : await ctx.roots.scan()
      if (args.values.json) {
        io.out(JSON.stringify(certs.map(certJson), null, 2))
        return 0
      }
      if (!certs.length) {
        io.out('No certificates found. Looked in:')
        for (const r of reports) io.out(`  ${r.root.path}${r.exists ? '' : ' (does not exist)'}`)
        return 0
      }
      for (const c of certs) io.out(line(c))
      return 0
    },
  },
  {
    name: 'show',
    usage: 'show PATH [--json] [--password-file F]',
    summary: 'Show one certificate in detail: a certificate folder, or a .pfx file (its password from --password-file).',
    options: { json: { type: 'boolean' }, 'password-file': { type: 'string' } },
    async run(args, io) {
      const path = requirePositional(args, 0, 'PATH (a certificate folder or a .pfx file)')
      let c: FoundCert
      let der: Uint8Array | undefined
      if (isPfxPath(path)) {
        // The certificates inside a PFX are encrypted under its password too.
        const pwFile = optionalString(args, 'password-file')
        if (!pwFile) throw new UsageError('a .pfx file needs --password-file')
        const r = await readPfxArg(path, await io.readSecret(pwFile))
        c = r.found
        der = r.certDer
      } else {
        c = readFolderArg(path)
        der = c.facts ? readRegularFileSync(resolve(c.path, c.files.find((n) => n.toLowerCase() === 'signcert.der') ?? 'signCert.der')) : undefined
      }
      const fp = der ? fingerprints(der) : undefined
      const json = {
        ...certJson(c),
        keyAlgorithm: c.facts?.keyAlgorithm ?? null,
        keySize: c.facts?.keySize ?? null,
        keyUsage: c.facts?.keyUsage ?? [],
        signatureAlgorithm: c.facts?.signatureAlgorithm ?? null,
        hasVid: c.facts?.hasVid ?? false,
        sha256: fp?.sha256 ?? null,
        sha1: fp?.sha1 ?? null,
        files: c.files,
      }
      if (args.values.json) {
        io.out(JSON.stringify(json, null, 2))
        return c.state === 'damaged' ? 2 : 0
      }
      if (!c.facts) {
        io.err(`certmgr show: ${c.damaged}`)
        return 2
      }
      const f = c.facts
      const rows: [string, string][] = [
        ['Owner', f.owner],
        ['Subject', f.subjectDn],
        ['Issuer', f.issuerDn],
        ['Serial', f.serialHex],
        ['Valid', `${f.notBefore.toISOString()} to ${f.notAfter.toISOString()} (${c.daysLeft} days left)`],
        ['State', STATE_TEXT[c.state] ?? c.state],
        ['Kind', `${c.kind}${f.policyOid ? ` (${f.policyOid}${policyInfo(f.policyOid) ? `, ${policyInfo(f.policyOid)!.en}` : ''})` : ''}`],
        ['Key', `${f.keyAlgorithm} ${f.keySize}`],
        ['Key usage', f.keyUsage.join(', ')],
        ['VID', f.hasVid ? 'present' : 'none'],
        ['SHA-256', fp?.sha256 ?? ''],
        ['Folder', c.path],
        ['Files', c.files.join(', ')],
      ]
      if (c.damaged) rows.push(['Problem', c.damaged])
      for (const [k, v] of rows) io.out(`${k.padEnd(10)} ${v}`)
      return 0
    },
  },
]
