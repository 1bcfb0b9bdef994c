import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import type { ResponseOf } from '../../../shared/contract/index'
import type { AppEvent } from '../../../shared/contract/progress'
import { checkNewPassword } from '../../../shared/password-rule'
import { api, type ApiError } from '../api/client'
import { toApiError } from '../lib/errors'

export type Flow = 'issue' | 'reissue' | 'renew' | 'register'
export type StepId = 'prepare' | 'terms' | 'reason' | 'select' | 'certPassword' | 'identity' | 'auth' | 'type' | 'location' | 'password' | 'run' | 'done'
export type Stage = 'keygen' | 'request' | 'confirm' | 'save' | 'register'
export type EnrollResult = ResponseOf<'enroll.issue'>
export type RegisterResult = ResponseOf<'enroll.registerForeign'>

/** The steps of each wizard, in order; the 완료 step always comes last. */
export const FLOW_STEPS: Record<Flow, readonly StepId[]> = {
  issue: ['prepare', 'terms', 'identity', 'auth', 'type', 'location', 'password', 'run', 'done'],
  reissue: ['reason', 'identity', 'auth', 'type', 'location', 'password', 'run', 'done'],
  renew: ['select', 'certPassword', 'identity', 'auth', 'run', 'done'],
  register: ['select', 'certPassword', 'identity', 'auth', 'run', 'done'],
}

/**
 * The run step's progress list, in the order main reports it: the certificate is stored before
 * the center is told to activate it (certConf), so a lost drive never leaves an active
 * certificate without its key. Renewal confirms after saving too but reports no stage for it.
 */
export const FLOW_STAGES: Record<Flow, readonly Stage[]> = {
  issue: ['keygen', 'request', 'save', 'confirm'],
  reissue: ['keygen', 'request', 'save', 'confirm'],
  renew: ['keygen', 'request', 'save'],
  register: ['register'],
}

export const IDN_RE = /^\d{6}-?\d{7}$/
export const ACCOUNT_RE = /^\d{10,14}$/

function blank() {
  return {
    terms: { service: false, privacy: false },
    reason: '' as '' | 'expired' | 'lost' | 'forgotten',
    certId: '',
    certPasswordOk: false,
    name: '',
    idn: '',
    account: '',
    sessionId: '',
    /** What the session was opened with; editing any of it asks for a new session. */
    sessionKey: '',
    medium: '' as '' | 'card' | 'otp',
    channel: 'sms' as 'sms' | 'ars',
    sentTo: '',
    phoneVerified: false,
    slots: null as [number, number] | null,
    mediumVerified: false,
    mediumLocked: false,
    certType: '' as '' | 'limited' | 'general',
    feeAgreed: false,
    destination: 'pc' as 'pc' | 'usb' | 'token',
    usbRoot: '',
    /** 보안토큰: the slot (and module) from 'storage.locations', and whether its PIN opened it. */
    token: null as { module?: string; slot: string; label: string } | null,
    tokenPinOk: false,
  }
}

/** Typed secrets: held only here, only as long as the wizard needs them, never persisted. */
function blankSecrets() {
  return { certPassword: '', phoneCode: '', cardFirst: '', cardSecond: '', otp: '', password: '', password2: '', tokenPin: '' }
}

let opSeq = 0
function newOpId(): string {
  opSeq += 1
  return `wiz-${Date.now().toString(36)}-${opSeq}-${Math.random().toString(36).slice(2, 8)}`
}

/**
 * One store for the four wizards: which step, what was entered, and the RA session. Back and
 * next keep what was typed; changing the identity after a session was opened drops the session
 * (and with it the phone and medium checks); cancel wipes everything, secrets first.
 */
export const useWizardStore = defineStore('wizard', () => {
  const flow = ref<Flow>('issue')
  const stepIndex = ref(0)
  const data = reactive(blank())
  const secrets = reactive(blankSecrets())
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  const cancelledNote = ref(false)
  const opId = ref('')
  const running = ref(false)
  const stage = ref<Stage | 'done' | ''>('')
  /** The stage a failed run stopped at: the stages before it stay ✓, it shows ✗ 실패. */
  const failedAt = ref<Stage | ''>('')
  const result = ref<EnrollResult | null>(null)
  const registered = ref<RegisterResult | null>(null)
  let stopEvents: (() => void) | undefined

  // On a token the PIN guards the key: there is no certificate password to choose.
  // A certificate on a token (certId 'token:<id>') is opened with its PIN in the select step: no certificate password.
  const renewsToken = computed(() => flow.value === 'renew' && data.certId.startsWith('token:'))
  const steps = computed(() => FLOW_STEPS[flow.value].filter((s) => !(s === 'password' && data.destination === 'token') && !(s === 'certPassword' && renewsToken.value)))
  /** Certificates on the token opened in the 갱신 select step ('token.list'). */
  const tokenCerts = ref<ResponseOf<'token.list'>['certs']>([])
  const renewTokenCert = computed(() => (renewsToken.value ? tokenCerts.value.find((c) => `token:${c.idHex}` === data.certId) : undefined))
  const step = computed<StepId>(() => steps.value[stepIndex.value] ?? 'done')
  const purpose = computed(() => flow.value)
  const needsPhone = computed(() => flow.value !== 'renew')
  // 갱신 asks only what the center needs: the certificate names its owner, so the account alone.
  const asksPerson = computed(() => flow.value !== 'renew')
  const identityKey = computed(() => [flow.value, data.name.trim(), data.idn.replace('-', ''), data.account, data.certId].join('\u0000'))

  // A session belongs to the identity it was opened with.
  // Synchronous, so that no call can slip through with a session for other details.
  watch(
    identityKey,
    (k) => {
      if (data.sessionId && k !== data.sessionKey) clearSession()
    },
    { flush: 'sync' },
  )
  watch(
    () => data.certId,
    () => {
      data.certPasswordOk = false
      secrets.certPassword = ''
    },
    { flush: 'sync' },
  )

  function clearSession(): void {
    data.sessionId = ''
    data.sessionKey = ''
    data.medium = ''
    data.sentTo = ''
    data.phoneVerified = false
    data.slots = null
    data.mediumVerified = false
    data.mediumLocked = false
    secrets.phoneCode = ''
    secrets.cardFirst = ''
    secrets.cardSecond = ''
    secrets.otp = ''
  }

  function wipeSecrets(): void {
    Object.assign(secrets, blankSecrets())
  }

  const passwordCheck = computed(() => (secrets.password ? checkNewPassword(secrets.password) : null))
  const passwordsMatch = computed(() => secrets.password2.length > 0 && secrets.password2 === secrets.password)

  const canNext = computed(() => {
    if (busy.value || running.value) return false
    switch (step.value) {
      case 'prepare':
        return true
      case 'terms':
        return data.terms.service && data.terms.privacy
      case 'reason':
        return data.reason !== ''
      case 'select':
        return data.certId !== ''
      case 'certPassword':
        return secrets.certPassword.length > 0
      case 'identity':
        return (!asksPerson.value || (data.name.trim().length > 0 && IDN_RE.test(data.idn))) && ACCOUNT_RE.test(data.account)
      case 'auth':
        return !!data.sessionId && (!needsPhone.value || data.phoneVerified) && data.mediumVerified
      case 'type':
        return data.certType === 'limited' || (data.certType === 'general' && data.feeAgreed)
      case 'location':
        return data.destination === 'pc' || (data.destination === 'usb' && data.usbRoot !== '') || (data.destination === 'token' && !!data.token && data.tokenPinOk && secrets.tokenPin !== '')
      case 'password':
        return passwordCheck.value?.ok === true && passwordsMatch.value
      default:
        return false
    }
  })

  function start(f: Flow, certId?: string, reason?: 'expired'): void {
    if (running.value) return
    reset()
    flow.value = f
    if (certId) data.certId = certId
    if (f === 'reissue' && reason) data.reason = reason
  }

  function reset(): void {
    stopEvents?.()
    stopEvents = undefined
    wipeSecrets()
    Object.assign(data, blank())
    tokenCerts.value = []
    stepIndex.value = 0
    busy.value = false
    error.value = null
    cancelledNote.value = false
    opId.value = ''
    running.value = false
    stage.value = ''
    failedAt.value = ''
    result.value = null
    registered.value = null
  }

  async function guarded<T>(fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = true
    error.value = null
    try {
      return await fn()
    } catch (e) {
      error.value = toApiError(e)
      return undefined
    } finally {
      busy.value = false
    }
  }

  function goTo(id: StepId): void {
    const i = steps.value.indexOf(id)
    if (i >= 0 && !running.value) {
      stepIndex.value = i
      error.value = null
      // The fix of a failure leads back to an earlier step; the next run starts afresh.
      stage.value = ''
      failedAt.value = ''
    }
  }

  async function next(): Promise<boolean> {
    if (!canNext.value) return false
    cancelledNote.value = false
    if (step.value === 'certPassword') {
      const r = await guarded(() => api().call('keys.checkPassword', { certId: data.certId, password: secrets.certPassword }))
      if (!r) return false
      if (!r.valid) {
        error.value = toApiError({ code: 'WRONG_PASSWORD', message: 'wrong password' })
        return false
      }
      data.certPasswordOk = true
    }
    if (step.value === 'identity' && !data.sessionId) {
      const key = identityKey.value
      const r = await guarded(() =>
        api().call('center.startSession', {
          ...(asksPerson.value ? { name: data.name.trim(), idn: data.idn } : {}),
          account: data.account,
          purpose: purpose.value,
          ...(flow.value === 'renew' ? { certId: data.certId, ...(renewTokenCert.value ? { serialHex: renewTokenCert.value.serialHex } : {}) } : {}),
        }),
      )
      if (!r) return false
      data.sessionId = r.sessionId
      data.sessionKey = key
      data.medium = r.medium
      if (!needsPhone.value) await loadChallenge()
    }
    error.value = null
    stepIndex.value = Math.min(stepIndex.value + 1, steps.value.length - 1)
    return true
  }

  function back(): void {
    if (running.value || stepIndex.value === 0 || step.value === 'done') return
    error.value = null
    stage.value = ''
    failedAt.value = ''
    stepIndex.value -= 1
  }

  async function sendPhoneCode(): Promise<void> {
    const r = await guarded(() => api().call('center.sendPhoneCode', { sessionId: data.sessionId, channel: data.channel }))
    if (r) data.sentTo = r.to
  }

  async function verifyPhone(): Promise<void> {
    const code = secrets.phoneCode.trim()
    const r = await guarded(() => api().call('center.verifyPhone', { sessionId: data.sessionId, code }))
    if (r) {
      data.phoneVerified = true
      secrets.phoneCode = ''
      await loadChallenge()
    }
  }

  async function loadChallenge(): Promise<void> {
    const r = await guarded(() => api().call('center.mediumChallenge', { sessionId: data.sessionId }))
    if (!r) {
      if (error.value?.params?.reason === 'medium-locked') data.mediumLocked = true
      return
    }
    data.medium = r.medium
    data.slots = r.medium === 'card' ? r.slots : null
  }

  async function verifyMedium(): Promise<void> {
    const response = data.medium === 'card' ? `${secrets.cardFirst}${secrets.cardSecond}` : secrets.otp.replace(/\s/g, '')
    const r = await guarded(() => api().call('center.verifyMedium', { sessionId: data.sessionId, response }))
    secrets.cardFirst = ''
    secrets.cardSecond = ''
    secrets.otp = ''
    if (r) data.mediumVerified = true
    else if (error.value?.params?.reason === 'medium-locked' || error.value?.params?.reason === 'session-locked') data.mediumLocked = true
  }

  function destination() {
    if (data.destination === 'usb') return { kind: 'usb' as const, root: data.usbRoot }
    if (data.destination === 'token' && data.token) {
      return { kind: 'token' as const, ...(data.token.module ? { module: data.token.module } : {}), slot: data.token.slot, pin: secrets.tokenPin }
    }
    return { kind: 'pc' as const }
  }

  /**
   * 보안토큰: opens the chosen token with its PIN ('token.list') before the wizard goes on, so
   * a wrong PIN is told here and not after the identity check's codes were spent. The PIN
   * stays in `secrets` until the certificate is issued or the wizard is left.
   */
  async function unlockToken(tok: { module?: string; slot: string; label: string }, pin: string): Promise<ApiError | null> {
    data.tokenPinOk = false
    busy.value = true
    try {
      const r = await api().call('token.list', { ...(tok.module ? { module: tok.module } : {}), slot: tok.slot, pin })
      tokenCerts.value = r.certs
      data.token = tok
      secrets.tokenPin = pin
      data.tokenPinOk = true
      return null
    } catch (e) {
      return toApiError(e)
    } finally {
      busy.value = false
    }
  }

  function forgetToken(): void {
    tokenCerts.value = []
    data.token = null
    data.tokenPinOk = false
    secrets.tokenPin = ''
  }

  function listen(id: string): void {
    stopEvents?.()
    try {
      stopEvents = api().onEvent((e: AppEvent) => {
        if (e.type !== 'progress' || e.progress.opId !== id) return
        const next = e.progress.stage as Stage | 'done'
        // Main may send a late 'request' once the center has answered; the list never steps back.
        const order = FLOW_STAGES[flow.value] as readonly string[]
        if (next !== 'done' && stage.value !== 'done' && order.indexOf(next) < order.indexOf(stage.value)) return
        stage.value = next
      })
    } catch {
      stopEvents = undefined
    }
  }

  /** 발급 / 재발급 / 갱신 / 등록: the one long step; on success the wizard moves to 완료. */
  async function run(): Promise<void> {
    if (running.value || step.value !== 'run') return
    const id = newOpId()
    opId.value = id
    running.value = true
    error.value = null
    failedAt.value = ''
    stage.value = flow.value === 'register' ? 'register' : 'keygen'
    listen(id)
    const f = flow.value
    try {
      if (f === 'register') {
        registered.value = await api().call('enroll.registerForeign', { sessionId: data.sessionId, certId: data.certId, password: secrets.certPassword })
      } else if (f === 'renew') {
        const tok = renewsToken.value ? data.token : null
        result.value = await api().call('enroll.renew', {
          opId: id,
          sessionId: data.sessionId,
          certId: data.certId,
          ...(tok ? { token: { ...(tok.module ? { module: tok.module } : {}), slot: tok.slot, pin: secrets.tokenPin } } : { password: secrets.certPassword }),
        })
      } else {
        const certType = data.certType === 'general' ? 'general' : 'limited'
        const dest = destination()
        result.value = await api().call('enroll.issue', { opId: id, sessionId: data.sessionId, certType, destination: dest, ...(dest.kind === 'token' ? {} : { password: secrets.password }) })
      }
      // Only a cancel that lost the race could have reset the wizard meanwhile.
      if (opId.value !== id) return
      stage.value = 'done'
      wipeSecrets()
      stepIndex.value = steps.value.indexOf('done')
    } catch (e) {
      if (opId.value === id) {
        error.value = toApiError(e)
        // The progress stays: what finished keeps its ✓, the stage it stopped at is marked failed.
        failedAt.value = stage.value === 'done' ? '' : stage.value
        // The token refused (PIN changed, removed): its PIN is asked again on the way back.
        if (error.value.code === 'TOKEN') {
          data.tokenPinOk = false
          secrets.tokenPin = ''
        }
      }
    } finally {
      if (opId.value === id) {
        running.value = false
        stopEvents?.()
        stopEvents = undefined
      }
    }
  }

  /** Stops a running operation in main, then forgets everything typed. */
  async function cancel(): Promise<void> {
    const id = opId.value
    const wasRunning = running.value
    const f = flow.value
    reset()
    flow.value = f
    cancelledNote.value = true
    if (wasRunning && id) {
      try {
        await api().call('enroll.cancel', { opId: id })
      } catch {
        /* the wizard is reset either way; main drops an unconfirmed key on its own abort */
      }
    }
  }

  return {
    flow,
    stepIndex,
    steps,
    step,
    data,
    secrets,
    busy,
    error,
    cancelledNote,
    opId,
    running,
    stage,
    failedAt,
    result,
    registered,
    needsPhone,
    asksPerson,
    canNext,
    passwordCheck,
    passwordsMatch,
    start,
    reset,
    goTo,
    next,
    back,
    cancel,
    clearSession,
    sendPhoneCode,
    verifyPhone,
    loadChallenge,
    verifyMedium,
    unlockToken,
    forgetToken,
    tokenCerts,
    renewTokenCert,
    run,
  }
})
