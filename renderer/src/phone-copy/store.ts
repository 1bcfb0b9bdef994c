import '../zod-jitless'
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ResponseOf } from '../../../shared/contract/index'
import type { AppEvent } from '../../../shared/contract/progress'
import { TransferState, type TransferStateName } from '../../../shared/contract/transfer'
import { api, type ApiError } from '../api/client'
import { toApiError } from '../lib/errors'
import { codeDigits } from './code'

export type Mode = 'send' | 'receive'
export type Received = NonNullable<ResponseOf<'transfer.status'>['received']>
export type Saved = ResponseOf<'transfer.saveReceived'>

const FINAL: readonly TransferStateName[] = ['locked', 'expired', 'cancelled', 'error']
// States in which the number is still waiting to be used: the countdown matters only then.
const WAITING: readonly TransferStateName[] = ['listening', 'phone-connected', 'awaiting-code', 'wrong-code']
const POLL_MS = 1500

function asState(s: string): TransferStateName | null {
  const r = TransferState.safeParse(s)
  return r.success ? r.data : null
}

/**
 * One phone copy session at a time (main allows one): what it shows (QR code, URL, number),
 * where it is (state from 'transfer' events, with a status poll as a fallback), and the
 * countdown of the number's life.
 */
export const usePhoneCopyStore = defineStore('phoneCopy', () => {
  const mode = ref<Mode | null>(null)
  const sessionId = ref<string | null>(null)
  const url = ref('')
  const qrSvg = ref('')
  const code = ref('')
  const expiresAt = ref(0)
  const now = ref(Date.now())
  const state = ref<TransferStateName | null>(null)
  const failuresLeft = ref<number | null>(null)
  const waitUntil = ref(0)
  const received = ref<Received | null>(null)
  const saved = ref<Saved | null>(null)
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  let timer: ReturnType<typeof setInterval> | undefined
  let lastPoll = 0

  const remainingMs = computed(() => Math.max(0, expiresAt.value - now.value))
  const ended = computed(() => state.value !== null && FINAL.includes(state.value))
  const waiting = computed(() => state.value !== null && WAITING.includes(state.value))
  const active = computed(() => sessionId.value !== null && !ended.value && state.value !== 'done' && saved.value === null)
  const canRetry = computed(() => now.value >= waitUntil.value)

  function clear(): void {
    stopTimer()
    mode.value = null
    sessionId.value = null
    url.value = ''
    qrSvg.value = ''
    code.value = ''
    expiresAt.value = 0
    state.value = null
    failuresLeft.value = null
    waitUntil.value = 0
    received.value = null
    saved.value = null
    error.value = null
  }

  function stopTimer(): void {
    if (timer) clearInterval(timer)
    timer = undefined
  }

  function startTimer(): void {
    stopTimer()
    timer = setInterval(tick, 500)
  }

  function tick(): void {
    now.value = Date.now()
    if (!sessionId.value || ended.value) return stopTimer()
    if (waiting.value && remainingMs.value <= 0) {
      state.value = 'expired'
      return stopTimer()
    }
    if (now.value - lastPoll >= POLL_MS) {
      lastPoll = now.value
      void poll()
    }
  }

  function setState(s: TransferStateName): void {
    // A final state is final: a late event does not revive a closed session.
    if (ended.value || saved.value) return
    state.value = s
    if (s === 'received' && !received.value) void poll()
    if (FINAL.includes(s)) stopTimer()
  }

  async function poll(): Promise<void> {
    const id = sessionId.value
    if (!id) return
    try {
      const r = await api().call('transfer.status', { sessionId: id })
      if (id !== sessionId.value) return
      if (r.received) received.value = r.received
      setState(r.state)
    } catch {
      /* events still arrive; the next poll tries again */
    }
  }

  function onEvent(e: AppEvent): void {
    if (e.type !== 'transfer' || e.sessionId !== sessionId.value) return
    const s = asState(e.state)
    if (!s) return
    if (s === 'wrong-code' && typeof e.detail?.failuresLeft === 'number') failuresLeft.value = e.detail.failuresLeft
    setState(s)
  }

  async function begin(m: Mode, fn: () => Promise<{ sessionId: string; url: string; qrSvg: string; expiresInMs: number; code?: string }>): Promise<boolean> {
    if (busy.value) return false
    if (active.value && sessionId.value) await cancel()
    clear()
    busy.value = true
    try {
      const r = await fn()
      mode.value = m
      sessionId.value = r.sessionId
      url.value = r.url
      qrSvg.value = r.qrSvg
      code.value = r.code ?? ''
      now.value = Date.now()
      expiresAt.value = now.value + r.expiresInMs
      state.value = 'listening'
      startTimer()
      return true
    } catch (e) {
      mode.value = m
      error.value = toApiError(e)
      return false
    } finally {
      busy.value = false
    }
  }

  const startSend = (req: { certId: string; format: 'pfx' | 'npki'; password: string }) => begin('send', () => api().call('transfer.startSend', req))
  const startReceive = () => begin('receive', () => api().call('transfer.startReceive', {}))

  /** What became of a typed number: the screen clears the field after a wrong one. */
  async function submitCode(input: string): Promise<'ok' | 'wrong' | 'ended' | 'error' | 'skipped'> {
    const id = sessionId.value
    const digits = codeDigits(input)
    if (!id || digits.length !== 12 || busy.value) return 'skipped'
    busy.value = true
    error.value = null
    try {
      const r = await api().call('transfer.submitCode', { sessionId: id, code: digits })
      if (r.ok) {
        failuresLeft.value = null
        if (!ended.value && state.value !== 'done') state.value = 'sending'
        return 'ok'
      }
      if (r.locked) {
        setState('locked')
        return 'ended'
      }
      failuresLeft.value = r.failuresLeft ?? null
      waitUntil.value = Date.now() + (r.retryAfterMs ?? 0)
      setState('wrong-code')
      return 'wrong'
    } catch (e) {
      const err = toApiError(e)
      const s = err.code === 'TRANSFER' && typeof err.params?.state === 'string' ? asState(err.params.state) : null
      if (s) setState(s)
      else error.value = err
      return s ? 'ended' : 'error'
    } finally {
      busy.value = false
    }
  }

  /** Stores what arrived; a CONFLICT is thrown back so the screen can offer to replace. */
  async function save(req: { password: string; root?: string; replace?: boolean }): Promise<void> {
    const id = sessionId.value
    if (!id) return
    busy.value = true
    error.value = null
    try {
      saved.value = await api().call('transfer.saveReceived', { sessionId: id, password: req.password, ...(req.root ? { root: req.root } : {}), ...(req.replace ? { replace: true } : {}) })
      stopTimer()
    } finally {
      busy.value = false
    }
  }

  async function cancel(): Promise<void> {
    const id = sessionId.value
    if (!id) return
    stopTimer()
    state.value = 'cancelled'
    try {
      await api().call('transfer.cancel', { sessionId: id })
    } catch {
      /* the session may already be gone; it is cancelled either way for the user */
    }
  }

  return {
    mode, sessionId, url, qrSvg, code, expiresAt, now, state, failuresLeft, received, saved, busy, error,
    remainingMs, ended, waiting, active, canRetry,
    clear, onEvent, startSend, startReceive, submitCode, save, cancel, poll,
  }
})
