import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listTokens, type TokenInfo } from '../../core/token/pkcs11'

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'

export interface SoftHsm {
  dir: string
  conf: string
  /** Initialises one more token in this configuration; returns nothing, find it by label. */
  initToken(label: string, pin: string, soPin?: string): void
  /** Restores SOFTHSM2_CONF and removes the token folder. */
  close(): void
}

/**
 * A private SoftHSM2 configuration in a temp folder, made current through SOFTHSM2_CONF (read
 * at every C_Initialize, by our module and by softhsm2-util / pkcs11-tool alike). With
 * `tokens` each label gets an initialised token; with none the machine's tokens stay hidden.
 */
export function softHsm(tokens: { label: string; pin: string; soPin?: string }[] = []): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'certmgr-softhsm-'))
  const conf = join(dir, 'softhsm2.conf')
  mkdirSync(join(dir, 'tokens'))
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`)
  const prev = process.env.SOFTHSM2_CONF
  process.env.SOFTHSM2_CONF = conf
  const initToken = (label: string, pin: string, soPin = '12345678') => {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' })
  }
  for (const t of tokens) initToken(t.label, t.pin, t.soPin)
  return {
    dir,
    conf,
    initToken,
    close() {
      if (process.env.SOFTHSM2_CONF === conf) {
        if (prev === undefined) delete process.env.SOFTHSM2_CONF
        else process.env.SOFTHSM2_CONF = prev
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The objects pkcs11-tool (OpenSC, not our code) lists on a token: class and CKA_ID. It prints
 * "Data object" (lower case) and no ID for a data object, so a randomNum is placed by the
 * CKA_APPLICATION our code gives it ("NPKI randomNum <id>").
 */
export function pkcs11ToolObjects(label: string, pin: string, module = SOFTHSM_MODULE): { cls: string; id: string }[] {
  const r = spawnSync('pkcs11-tool', ['--module', module, '--token-label', label, '--login', '--pin', pin, '--list-objects'], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pkcs11-tool: ${r.stderr}`)
  const out: { cls: string; id: string }[] = []
  let cls = ''
  for (const line of r.stdout.split('\n')) {
    const head = line.match(/^(Private Key|Public Key|Certificate|Data) [Oo]bject/)
    if (head) {
      cls = head[1]!
      continue
    }
    const id = cls === 'Data' ? line.match(/^\s+application:\s+'?NPKI randomNum ([0-9a-f]+)/) : line.match(/^\s+ID:\s+([0-9a-f]+)/)
    if (id && cls) out.push({ cls, id: id[1]! })
  }
  return out
}

/** The token of this label as our PKCS#11 code lists it (slot, serial), from the SoftHSM2 module. */
export async function softHsmToken(label: string): Promise<TokenInfo> {
  const token = (await listTokens([SOFTHSM_MODULE])).find((t) => t.label === label)
  if (!token) throw new Error(`no SoftHSM2 token labelled ${label}`)
  return token
}
