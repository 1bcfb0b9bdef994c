import { computed, onBeforeUnmount, ref } from 'vue'
import { cancellableAt, type FileOp } from '../../../shared/contract/file-stages'
import { api } from '../api/client'

/** Each area's own cancel call: a cancel never reaches another area's operation. */
export type CancelCall = 'pfx.cancel' | 'storage.cancel' | 'keys.cancel'

export interface OpProgressOptions {
  /** The area's cancel call, sent with the running opId. */
  cancelCall: CancelCall
  /** The opId's prefix, naming the kind of work (it shows in main's logs and tests). */
  prefix: string
  /**
   * Whether a cancel can still change anything at this stage and share done. The use-case
   * decides (past its write it completes whatever is asked); the panel only stops offering 취소
   * once main has said it reached that point, so a late click is never a promise it cannot keep.
   */
  cancellable: (stage: string, fraction: number) => boolean
}

/**
 * One long file operation of a panel: a fresh opId per run, main's progress events for that
 * opId only (the bar never steps back), and 취소 through the area's cancel call. After a
 * cancel the panel waits for the operation's own answer: CANCELLED (nothing changed) or its
 * result, when main had already passed the point where it completes.
 */
export function useOpProgress(opts: OpProgressOptions) {
  const opId = ref('')
  /** The last stage main reported ('' before the first event). */
  const stage = ref('')
  const fraction = ref(0)
  const percent = computed(() => Math.floor(fraction.value * 100))
  const cancelling = ref(false)
  const cancelled = ref(false)
  const running = computed(() => opId.value !== '')
  const canCancel = computed(() => running.value && !cancelling.value && opts.cancellable(stage.value, fraction.value))
  let stopEvents: (() => void) | undefined

  function stop() {
    stopEvents?.()
    stopEvents = undefined
  }

  /** Starts a run: returns the opId to send with the call. */
  function start(): string {
    stop()
    const id = `${opts.prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
    opId.value = id
    stage.value = ''
    fraction.value = 0
    cancelling.value = false
    cancelled.value = false
    try {
      stopEvents = api().onEvent((e) => {
        if (e.type !== 'progress' || e.progress.opId !== id || opId.value !== id) return
        stage.value = e.progress.stage
        if (e.progress.fraction !== undefined) fraction.value = Math.max(fraction.value, e.progress.fraction)
      })
    } catch {
      stopEvents = undefined
    }
    return id
  }

  /**
   * Ends the run `id`. Returns true when the run ended in a cancel the user asked for (its
   * CANCELLED answer is then no error to show).
   */
  function finish(id: string, err?: { code?: string }): boolean {
    if (opId.value !== id) return false
    const wasCancel = cancelling.value && err?.code === 'CANCELLED'
    cancelled.value = wasCancel
    cancelling.value = false
    opId.value = ''
    stop()
    return wasCancel
  }

  /** Asks main to stop the running operation; its call then answers (CANCELLED or its result). */
  async function cancel() {
    const id = opId.value
    if (!id || !canCancel.value) return
    cancelling.value = true
    try {
      await api().call(opts.cancelCall, { opId: id })
    } catch {
      /* main's answer to the operation itself tells what happened */
    }
  }

  onBeforeUnmount(stop)

  return { opId, stage, fraction, percent, running, cancelling, cancelled, canCancel, start, finish, cancel }
}

export type OpProgress = ReturnType<typeof useOpProgress>

/**
 * Cancel is meaningful for a copy, move, delete, restore or password change until main reports
 * the stage from which its use-case completes (the one stage table, shared/contract/file-stages.ts).
 */
export function beforeCompletion(op: FileOp): (stage: string) => boolean {
  return (stage) => cancellableAt(op, stage)
}
