import type { Flow } from './store'

const SUFFIX: Record<Flow, string> = { issue: '', reissue: 'Reissue', renew: 'Renew', register: 'Register' }

/**
 * The message key in the wizard's own words: `wizard.run.start` is "발급 시작" and, for 재발급,
 * `wizard.run.startReissue` "재발급 시작". A flow without its own sentence keeps the shared one.
 */
export function flowKey(key: string, flow: Flow, te: (key: string) => boolean): string {
  const own = `${key}${SUFFIX[flow]}`
  return SUFFIX[flow] && te(own) ? own : key
}
