/**
 * Certificate policy OIDs of the Korean licensed CAs (NPKI.md §4) and of the project's own
 * certification center. Kept as data in one place: the kind shown to users comes only from
 * here, and an unknown OID is shown as 'other' with the OID, never guessed.
 */
export type CertKind = 'general' | 'limited' | 'corporate' | 'other'

export interface PolicyInfo {
  kind: CertKind
  /** Korean description, as users know it. */
  ko: string
  en: string
  ca: string
}

/** The embedded center's own arc (a UUID OID, 2.25): never a real Korean CA's OID. */
export const CENTER_POLICY_ARC = '2.25.118064855039374575362835836967531572845'
export const CENTER_POLICIES = {
  general: `${CENTER_POLICY_ARC}.1.1`,
  limited: `${CENTER_POLICY_ARC}.1.4`,
} as const

const G = (ca: string): PolicyInfo => ({ kind: 'general', ko: '개인 범용', en: 'Personal, general purpose', ca })
const L = (ca: string, ko = '은행·신용카드·보험용', en = 'Banking, credit card and insurance'): PolicyInfo => ({ kind: 'limited', ko, en, ca })
const C = (ca: string): PolicyInfo => ({ kind: 'corporate', ko: '법인 범용', en: 'Corporate, general purpose', ca })

export const POLICIES: Readonly<Record<string, PolicyInfo>> = {
  // yessign (금융결제원)
  '1.2.410.200005.1.1.1': G('yessign'),
  '1.2.410.200005.1.1.4': L('yessign'),
  '1.2.410.200005.1.1.6.2': L('yessign', '신용카드용', 'Credit card'),
  '1.2.410.200005.1.1.5': C('yessign'),
  '1.2.410.200005.1.1.6.8': { kind: 'other', ko: '전자세금계산서용', en: 'Electronic tax invoice', ca: 'yessign' },
  // KICA (한국정보인증)
  '1.2.410.200004.5.2.1.2': G('KICA'),
  '1.2.410.200004.5.2.1.7.1': L('KICA', '은행·보험용', 'Banking and insurance'),
  '1.2.410.200004.5.2.1.7.2': L('KICA', '증권·보험용', 'Securities and insurance'),
  '1.2.410.200004.5.2.1.7.3': L('KICA', '신용카드용', 'Credit card'),
  '1.2.410.200004.5.2.1.1': C('KICA'),
  // SignKorea (코스콤)
  '1.2.410.200004.5.1.1.5': G('SignKorea'),
  '1.2.410.200004.5.1.1.9': L('SignKorea', '증권·보험용', 'Securities and insurance'),
  '1.2.410.200004.5.1.1.9.2': L('SignKorea', '신용카드용', 'Credit card'),
  '1.2.410.200004.5.1.1.7': C('SignKorea'),
  // CrossCert (한국전자인증)
  '1.2.410.200004.5.4.1.1': G('CrossCert'),
  '1.2.410.200004.5.4.1.101': L('CrossCert', '은행·보험용', 'Banking and insurance'),
  '1.2.410.200004.5.4.1.102': L('CrossCert', '증권·보험용', 'Securities and insurance'),
  '1.2.410.200004.5.4.1.103': L('CrossCert', '신용카드용', 'Credit card'),
  '1.2.410.200004.5.4.1.104': L('CrossCert', '전자민원용', 'E-government'),
  '1.2.410.200004.5.4.1.2': C('CrossCert'),
  // TradeSign (한국무역정보통신)
  '1.2.410.200012.1.1.1': G('TradeSign'),
  '1.2.410.200012.1.1.101': L('TradeSign', '은행·보험용', 'Banking and insurance'),
  '1.2.410.200012.1.1.103': L('TradeSign', '증권·보험용', 'Securities and insurance'),
  '1.2.410.200012.1.1.105': L('TradeSign', '신용카드용', 'Credit card'),
  '1.2.410.200012.1.1.3': C('TradeSign'),
  // NCASign (legacy)
  '1.2.410.200004.5.3.1.9': G('NCASign'),
  '1.2.410.200004.5.3.1.2': C('NCASign'),
  // The project's own certification center
  [CENTER_POLICIES.general]: G('CertMgr'),
  [CENTER_POLICIES.limited]: L('CertMgr'),
}

export function policyInfo(oid: string | undefined): PolicyInfo | undefined {
  return oid ? POLICIES[oid] : undefined
}

export function kindOf(oid: string | undefined): CertKind {
  return policyInfo(oid)?.kind ?? 'other'
}
