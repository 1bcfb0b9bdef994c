import { readFileSync } from 'node:fs'
import type { CliIO } from '../../cli/command'

/** A secret read as certmgr reads one from a file: its text without the final line break. */
const secretFile = (p: string): string => readFileSync(p, 'utf8').replace(/\r?\n$/, '')

/**
 * certmgr's I/O captured in memory, a line per entry, so a test can read exactly what a user
 * would see. `stdin` answers reads of `-` (standard input) in order.
 */
export function memIO(stdin: string[] = []): CliIO & { outText: string[]; errText: string[] } {
  const outText: string[] = []
  const errText: string[] = []
  return {
    outText,
    errText,
    out: (t) => void outText.push(t),
    err: (t) => void errText.push(t),
    async readSecret(p) {
      if (p === '-') return stdin.shift() ?? ''
      return secretFile(p)
    },
  }
}

/** The same, with each stream as one text (a line per call), for tests that look for words in it. */
export function textIO(): CliIO & { outText: string; errText: string } {
  const o = {
    outText: '',
    errText: '',
    out: (t: string) => void (o.outText += t + '\n'),
    err: (t: string) => void (o.errText += t + '\n'),
    readSecret: async (p: string) => secretFile(p),
  }
  return o
}
