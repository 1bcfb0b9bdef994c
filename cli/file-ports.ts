import type { FilePorts, FileStage } from '../core/usecases/ports'
import type { CliIO } from './command'

const STAGE_TEXT: Record<FileStage, string> = {
  check: 'checking',
  read: 'reading',
  open: 'opening the key',
  derive: 'deriving keys',
  encrypt: 'encrypting the key',
  verify: 'verifying',
  write: 'writing',
  remove: 'removing the original',
  trash: 'moving to the trash',
  restore: 'restoring',
  done: '',
}

/**
 * Runs a use-case with the terminal as its ports: each stage on standard error's status line
 * when it is a terminal (cleared at the end), and Ctrl-C as its cancel. Standard output is
 * left to the command.
 */
export async function withFilePorts<T>(io: CliIO, command: string, fn: (ports: FilePorts) => Promise<T>): Promise<T> {
  const ac = new AbortController()
  const unsubscribe = io.onInterrupt?.(() => ac.abort())
  const status = io.status
  const ports: FilePorts = {
    signal: ac.signal,
    ...(status
      ? {
          progress: (stage: FileStage, fraction: number) => {
            const text = STAGE_TEXT[stage]
            // A fraction past 0 is shown: the key derivation's, or how far a batch copy has come.
            status(text ? `certmgr ${command}: ${text}${fraction > 0 ? ` ${Math.floor(fraction * 100)}%` : ''}…` : '')
          },
        }
      : {}),
  }
  try {
    return await fn(ports)
  } finally {
    unsubscribe?.()
    status?.('')
  }
}
