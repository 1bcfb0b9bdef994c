import type { CertDetails, CertSummary } from '../../../shared/contract/certs'
import type { Settings } from '../../../shared/contract/settings'
import type { CallName, RequestOf, ResponseOf } from '../../../shared/contract/index'
import type { AppEvent } from '../../../shared/contract/progress'
import type { ErrorInfo } from '../../../shared/errors'
import { ApiError, type Api } from '../api/client'

/** Test data shaped like the service's answers (the PyPinkSign fixture, expired). */
export function summary(over: Partial<CertSummary> = {}): CertSummary {
  return {
    id: 'c1',
    location: 'pc',
    path: '/home/u/NPKI/yessign/USER/cn=HKD',
    rootPath: '/home/u/NPKI',
    owner: 'HKD',
    subjectDn: 'cn=HKD(KILDONG.HONG)009104120200225191000030,ou=INITECH,ou=personal4IB,o=yessign,c=kr',
    issuerName: 'yessign',
    issuerDn: 'cn=yessignCA-Test Class 4,ou=AccreditedCA,o=yessign,c=kr',
    caFolder: 'yessign',
    serialHex: '459c75',
    notBefore: '2020-02-24T15:00:00.000Z',
    notAfter: '2020-03-25T14:59:59.000Z',
    daysLeft: -2437,
    state: 'expired',
    kind: 'limited',
    policyOid: '1.2.410.200005.1.1.4',
    hasKmPair: false,
    ...over,
  }
}

export function details(over: Partial<CertDetails> = {}): CertDetails {
  return {
    ...summary(),
    policyName: { ko: '은행·신용카드·보험용', en: 'Banking, credit card and insurance' },
    keyAlgorithm: 'RSA',
    keySize: 2048,
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    signatureAlgorithm: 'sha256WithRSAEncryption',
    sha256: '31b59a1213eeac635d7c7abdb388137db1374157443722e5df6a0f21277fa9bd',
    sha1: '0389bb4c4b7a63c01803070b21af577445df0009',
    hasVid: true,
    files: [{ name: 'signCert.der', path: '/home/u/NPKI/yessign/USER/cn=HKD/signCert.der' }],
    ...over,
  }
}

type Handler<N extends CallName> = (req: RequestOf<N>) => ResponseOf<N> | Promise<ResponseOf<N>>

/**
 * An in-memory Api: settings kept in a variable, certs from the test, every call recorded.
 * A handler may throw an ErrorInfo to make the call fail with that code.
 */
export class FakeApi implements Api {
  calls: { name: CallName; req: unknown }[] = []
  settings: Settings = { language: 'ko', extraRoots: [], hideExpired: false, centerUrl: '' }
  certs: CertSummary[] = [summary()]
  roots: ResponseOf<'certs.list'>['roots'] = [{ path: '/home/u/NPKI', source: 'os', location: 'pc', exists: true, found: 1 }]
  details: Record<string, CertDetails> = { c1: details() }
  listeners = new Set<(e: AppEvent) => void>()
  overrides: Partial<{ [N in CallName]: Handler<N> }> = {}
  /** The certificate password and resident number the fake keys.* calls accept. */
  password = 'a1234567!x'
  idn = '8001011234567'

  async call<N extends CallName>(name: N, req: RequestOf<N>): Promise<ResponseOf<N>> {
    this.calls.push({ name, req })
    const o = this.overrides[name] as Handler<N> | undefined
    try {
      if (o) return await o(req)
      return (await this.defaultCall(name, req)) as ResponseOf<N>
    } catch (e) {
      if (e && typeof e === 'object' && 'code' in e && !(e instanceof Error)) throw new ApiError(e as ErrorInfo)
      throw e
    }
  }

  private async defaultCall(name: CallName, req: unknown): Promise<unknown> {
    switch (name) {
      case 'app.info':
        return { version: '9.9.9', platform: 'linux', host: 'web', centerUrl: '', centerEmbedded: true }
      case 'certs.list':
        return { certs: this.certs, roots: this.roots }
      case 'certs.details': {
        const d = this.details[(req as { id: string }).id]
        if (!d) throw { code: 'NOT_FOUND', message: 'no such certificate' } satisfies ErrorInfo
        return d
      }
      case 'settings.get':
        return this.settings
      case 'settings.set':
        this.settings = { ...this.settings, ...(req as Partial<Settings>) }
        return this.settings
      case 'keys.checkPassword':
        return { valid: (req as { password: string }).password === this.password }
      case 'keys.changePassword': {
        const r = req as { oldPassword: string; newPassword: string }
        if (r.oldPassword !== this.password) throw { code: 'WRONG_PASSWORD', message: 'wrong password' } satisfies ErrorInfo
        this.password = r.newPassword
        return { ok: true, km: 'absent' }
      }
      case 'keys.verifyIdentity': {
        const r = req as { password: string; idn: string }
        if (r.password !== this.password) throw { code: 'WRONG_PASSWORD', message: 'wrong password' } satisfies ErrorInfo
        return { result: r.idn === this.idn ? 'match' : 'mismatch' }
      }
      default:
        throw { code: 'BAD_REQUEST', message: `the fake has no ${name}` } satisfies ErrorInfo
    }
  }

  onEvent(cb: (e: AppEvent) => void): () => void {
    this.listeners.add(cb)
    return () => this.listeners.delete(cb)
  }

  emit(e: AppEvent): void {
    for (const l of this.listeners) l(e)
  }

  count(name: CallName): number {
    return this.calls.filter((c) => c.name === name).length
  }
}
