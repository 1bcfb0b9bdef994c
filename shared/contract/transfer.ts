import { z } from 'zod'
import { call, Ok } from './define'

// PC ↔ phone copy over the local network (see core/transfer/THREAT-MODEL.md).
// Passwords go in (to build a PFX or to store what arrived); only URLs, numbers, states and
// facts come back, never key bytes.

/** What the UI shows beside the QR code: the threat model in two sentences. */
export const TRANSFER_THREAT_GIST = {
  ko: '인증서는 비밀번호로 암호화된 그대로, 화면의 인증번호로 한 번 더 암호화되어 같은 네트워크 안에서만 전송됩니다. 엿보기·인증번호 추측(3번 틀리면 잠김)·재전송·변조는 막지만, 같은 Wi-Fi에서 휴대폰 페이지 자체를 바꿔치기하는 공격자는 막지 못합니다(그래도 인증서 비밀번호는 전송되지 않습니다).',
  en: 'The certificate stays encrypted under its password and is encrypted again under the one-time code on the screen; it never leaves your local network. This stops eavesdropping, code guessing (3 wrong tries lock the session), replays and tampering, but not an attacker on the same Wi-Fi who replaces the phone page itself (even then the certificate password is never sent).',
} as const

const SessionId = z.string().uuid()
const Password = z.string().min(1).max(1024)
/** An IP address of one of this computer's interfaces (from transfer.addresses). */
const Host = z.string().min(2).max(64).optional()

export const TransferFormat = z.enum(['pfx', 'npki'])
export const TransferDirection = z.enum(['pc-to-phone', 'phone-to-pc'])
export const TransferState = z.enum([
  'listening',
  'phone-connected',
  'awaiting-code',
  'verifying',
  'wrong-code',
  'sending',
  'done',
  'received',
  'locked',
  'expired',
  'cancelled',
  'error',
])
export type TransferStateName = z.infer<typeof TransferState>

export const SubmitCodeResult = z.object({
  ok: z.boolean(),
  failuresLeft: z.number().int().min(0).optional(),
  retryAfterMs: z.number().int().min(0).optional(),
  locked: z.boolean().optional(),
})

export const ReceivedInfo = z.object({
  format: TransferFormat,
  files: z.array(z.object({ name: z.string(), size: z.number().int() })),
  owner: z.string().optional(),
  issuer: z.string().optional(),
  notAfter: z.string().optional(),
})

export const transferCalls = {
  /** Local IPv4 addresses the listener may bind to; `isDefault` marks the default-route one. */
  'transfer.addresses': call(z.object({}).strict(), z.object({ addresses: z.array(z.object({ name: z.string(), address: z.string(), isDefault: z.boolean() })) })),
  /**
   * PC → phone. Starts a listener; the QR code holds only the session URL. The phone then
   * shows a 12-digit number the user passes to transfer.submitCode. `format: 'pfx'` builds a
   * PFX (compatible profile) from the certificate; the PFX is protected by `pfxPassword`
   * (default: the certificate password; a different one must pass the NPKI rule).
   * `format: 'npki'` sends the folder's files as they are. Either way `password` (the
   * certificate password, used on this PC only and counted like every password try) must open
   * the key first: the encrypted key leaves the PC only for a caller who knows its password.
   */
  'transfer.startSend': call(
    z.object({ certId: z.string().min(1).max(128), format: TransferFormat, password: Password, pfxPassword: Password.optional(), host: Host }).strict(),
    z.object({ sessionId: SessionId, url: z.string(), qrSvg: z.string(), expiresInMs: z.number().int(), format: TransferFormat }),
  ),
  /** The number the phone shows. Settles once the phone confirmed (ok) or the number failed. */
  'transfer.submitCode': call(z.object({ sessionId: SessionId, code: z.string().min(1).max(40) }).strict(), SubmitCodeResult),
  /** Phone → PC. Starts a listener and returns the number to show (formatted 1234-5678-9012). */
  'transfer.startReceive': call(
    z.object({ host: Host }).strict(),
    z.object({ sessionId: SessionId, url: z.string(), code: z.string(), qrSvg: z.string(), expiresInMs: z.number().int() }),
  ),
  'transfer.cancel': call(z.object({ sessionId: SessionId }).strict(), Ok),
  'transfer.status': call(
    z.object({ sessionId: SessionId }).strict(),
    z.object({ sessionId: SessionId, direction: TransferDirection, state: TransferState, received: ReceivedInfo.optional() }),
  ),
  /**
   * Stores what the phone sent as an NPKI folder `<root>/<CA>/USER/<DN>` (default root: the
   * computer's main NPKI folder). `password` must open the key (NPKI) or the PFX; a PFX becomes
   * signCert.der + signPri.key under the same password.
   */
  'transfer.saveReceived': call(
    z.object({ sessionId: SessionId, password: z.string().max(1024), root: z.string().min(1).max(4096).optional(), replace: z.boolean().optional() }).strict(),
    z.object({ folder: z.string(), outcome: z.enum(['copied', 'replaced', 'identical']) }),
  ),
}
