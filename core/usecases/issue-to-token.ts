import type { Name } from '@peculiar/asn1-x509'
import { parseCertificate, type CertFacts } from '../certs/parse'
import type { NpkiRoot } from '../certs/roots'
import { newRandomNum } from '../enroll/npki-key'
import { issueOntoToken } from '../enroll/token-issue'
import type { SessionOptions, TokenRef } from '../token/pkcs11'
import { cmpStage, type EnrollCodes, type EnrollPorts } from './ports'
import { trashRevoked } from './trash-revoked'

export interface IssueToTokenInput {
  purpose: 'issue' | 'reissue'
  token: TokenRef
  pin: string
  /** The PIN counter shared with every other token call. */
  session?: SessionOptions
  subject?: Name
  /** Asked for only once the key pair exists on the token: a wrong PIN stops before the codes are spent. */
  codes: () => Promise<EnrollCodes>
  /** Folders searched for local copies of the certificate a reissue made the center revoke (default: none). */
  searchRoots?: NpkiRoot[]
}

export interface IssuedToToken {
  idHex: string
  certDer: Uint8Array
  facts: CertFacts
  feeKrw?: number
  revokedSerials: string[]
}

/**
 * 발급 / 재발급 onto a security token: the key pair is generated on the token (never leaves
 * it), the POPO and nothing else is signed there, and the certificate is stored beside the key
 * before certConf (a failed store is a rejection). Whatever fails or is cancelled before the
 * center confirmed, the key pair and anything stored with it are destroyed again.
 *
 * randomNum: NPKI keeps it inside the encrypted PKCS#8, which a token key does not have. It is
 * still generated and sent, so the center puts a VID in the certificate as for any NPKI
 * certificate (banks check it), and kept on the token as a private CKO_DATA object tied to the
 * key's CKA_ID, so an identity check stays possible after a PIN login.
 */
export async function issueToToken(input: IssueToTokenInput, ports: Omit<EnrollPorts, 'generateKey'>): Promise<IssuedToToken> {
  const progress = ports.progress
  progress?.('keygen', 0.1)
  let feeKrw: number | undefined
  const randomNum = newRandomNum()
  const issued = await issueOntoToken({ ref: input.token, pin: input.pin, session: input.session, randomNum, signal: ports.signal }, async () => {
    const codes = await input.codes()
    feeKrw = codes.feeKrw
    progress?.('request', 0.4)
    return {
      ...ports.center,
      reference: codes.reference,
      authCode: codes.authCode,
      subject: input.subject,
      signal: ports.signal,
      onProgress: cmpStage(progress),
      beforeConfirm: async () => progress?.('save', 0.6),
    }
  })
  const facts = parseCertificate(issued.certDer)
  const revoked = input.purpose === 'reissue' ? await trashRevoked(ports.center.url, issued.certDer, input.searchRoots ?? [], ports.trash) : []
  progress?.('done', 1)
  return { idHex: issued.idHex, certDer: issued.certDer, facts, feeKrw, revokedSerials: revoked }
}
