/**
 * Settings of the certification center. The embedded default must never look like a real
 * Korean CA: its O= is the project's own, and its policy OIDs sit under a UUID-derived arc
 * (2.25.x) that no real CA uses.
 */
export interface CenterConfig {
  /** Distinguished name of the CA certificate. `o` is also the NPKI folder name users see. */
  caName: { cn: string; o: string; c: string }
  /** Path segment in /.well-known/cmp/p/<caPathName>/<operation>. Any name is accepted; this one is advertised. */
  caPathName: string
  policyOids: { limited: string; general: string }
  validityDays: number
  /** Renewal (kur) is accepted only within this many days before notAfter. */
  renewalWindowDays: number
  /** Yearly fee by type, in KRW (VAT included). */
  feesKrw: { limited: number; general: number }
  /** pvno of our responses (2 = cmp2000). Requests with 1..3 are accepted. */
  cmpVersion: number
  pbmIterations: { min: number; max: number }
  maxMessageBytes: number
  host: string
  port: number
  /**
   * Host names (besides IP literals, `localhost` and `host` itself) the center answers to. Any
   * other Host header is refused on every binding, so a web page whose name an attacker points
   * at this address (DNS rebinding) cannot drive the center from a user's browser.
   */
  allowedHosts: string[]
  /**
   * Reverse proxies (addresses or subnets) whose X-Forwarded-For names the client for the
   * throttles (center/client-source.ts). Empty: the socket's peer is the source, whatever
   * headers say.
   */
  trustedProxies: string[]
  /** When true, a kur also needs the RA's renewal authorization (account + security card). */
  renewalRequiresRa: boolean
  /** CA key algorithm on first start. */
  caKeyAlg: 'rsa' | 'ec'
  caValidityDays: number
  /**
   * Deadline for certConf: a certificate not confirmed within this time after it was issued is
   * revoked (never valid), its codes work again and its fee is refunded.
   */
  transactionTtlSeconds: number
}

export const DEFAULT_CENTER_CONFIG: CenterConfig = {
  caName: { cn: 'CertMgr Root CA', o: 'CertMgr Center', c: 'KR' },
  caPathName: 'certmgr',
  policyOids: {
    limited: '2.25.118064855039374575362835836967531572845.1.4',
    general: '2.25.118064855039374575362835836967531572845.1.1',
  },
  validityDays: 365,
  renewalWindowDays: 30,
  feesKrw: { limited: 0, general: 4400 },
  cmpVersion: 2,
  pbmIterations: { min: 100, max: 100_000 },
  maxMessageBytes: 64 * 1024,
  host: '127.0.0.1',
  port: 0,
  allowedHosts: [],
  trustedProxies: [],
  renewalRequiresRa: true,
  caKeyAlg: 'rsa',
  caValidityDays: 3650,
  transactionTtlSeconds: 15 * 60,
}

export type CenterConfigOverrides = Partial<Omit<CenterConfig, 'caName' | 'policyOids' | 'feesKrw' | 'pbmIterations'>> & {
  caName?: Partial<CenterConfig['caName']>
  policyOids?: Partial<CenterConfig['policyOids']>
  feesKrw?: Partial<CenterConfig['feesKrw']>
  pbmIterations?: Partial<CenterConfig['pbmIterations']>
}

export function resolveConfig(o: CenterConfigOverrides = {}): CenterConfig {
  const d = DEFAULT_CENTER_CONFIG
  const { caName, policyOids, feesKrw, pbmIterations, ...rest } = o
  const flat = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<CenterConfig>
  return {
    ...d,
    ...flat,
    caName: { ...d.caName, ...caName },
    policyOids: { ...d.policyOids, ...policyOids },
    feesKrw: { ...d.feesKrw, ...feesKrw },
    pbmIterations: { ...d.pbmIterations, ...pbmIterations },
  }
}
