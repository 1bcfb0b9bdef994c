import { sign } from 'node:crypto'
import { CertError } from '../../shared/errors'
import { REGISTER_CHALLENGE_BYTES, registrationSignedData } from '../../shared/register-challenge'
import { openSignKey } from '../formats/signpri'
import { readSignPair } from './renew-folder'
import { noRandomNum } from '../formats/vid'

/** The RA's side of a registration: a fresh challenge, then the signed answer. */
export interface RegistrationPort<T> {
  challenge(): Promise<{ challenge: string }>
  register(body: { certDer: string; signature: string; randomNum: string }): Promise<T>
}

/**
 * 타기관 인증서 등록: proves to the center that this user holds another CA's certificate and
 * its key (a signature over the center's challenge) and hands over the randomNum, so the
 * center can check the VID against the resident number it knows.
 */
export async function registerForeignCertificate<T>(input: { folder: string; password: string }, ra: RegistrationPort<T>): Promise<T> {
  const { certDer, keyFile } = await readSignPair(input.folder)
  const opened = openSignKey(certDer, keyFile, input.password)
  if (!opened.randomNum) throw noRandomNum()
  const { challenge } = await ra.challenge()
  // Only a fresh 32-byte challenge, and only behind the registration label: the key never
  // signs bytes a (possibly hostile) center chose on their own.
  const bytes = Buffer.from(challenge, 'base64')
  if (bytes.length !== REGISTER_CHALLENGE_BYTES) throw new CertError('CENTER', 'the certification center sent an unusable signing challenge', { reason: 'challenge' })
  const signature = sign('sha256', registrationSignedData(bytes), opened.privateKey)
  return ra.register({
    certDer: Buffer.from(certDer).toString('base64'),
    signature: signature.toString('base64'),
    randomNum: Buffer.from(opened.randomNum).toString('base64'),
  })
}
