import { readFileSync } from 'node:fs'
import type { CliIO } from '../../cli/command'

/** certmgr's I/O captured in memory, so a test can read exactly what a user would see. */
export function memIO(): CliIO & { outText: string[]; errText: string[] } {
  const outText: string[] = []
  const errText: string[] = []
  return {
    outText,
    errText,
    out: (t) => void outText.push(t),
    err: (t) => void errText.push(t),
    async readSecret(p) {
      return readFileSync(p, 'utf8').replace(/\r?\n$/, '')
    },
  }
}
