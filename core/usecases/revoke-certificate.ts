import { parseCertificate, type CertFacts } from '../certs/parse'
import { revoke } from '../enroll/cmp-client'
import { openSignKey } from '../formats/signpri'
import type { CenterClient } from './ports'
import { readSignPair } from './renew-folder'

/**
 * 폐기: an rr signed with the certificate's own key (opened with its password, so a wrong
 * password stops before the center is asked). `reason` is a CRLReason number.
 */
export async function revokeCertificate(input: { folder: string; password: string; reason: number }, ports: { center: CenterClient; signal?: AbortSignal }): Promise<CertFacts> {
  const { certDer, keyFile } = await readSignPair(input.folder)
  const opened = openSignKey(certDer, keyFile, input.password)
  await revoke({ ...ports.center, signal: ports.signal, certDer, key: opened.privateKey, reason: input.reason })
  return parseCertificate(certDer)
}
