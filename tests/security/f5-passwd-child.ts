/**
 * The child tests/security/f5-password-change-both-keys.test.ts kills: it changes a folder's
 * password through a file-system layer that SIGKILLs this process just before its N-th call
 * (open, write, sync, close, rename, rm, readdir...), so the parent can stop the change at each
 * of its steps in turn. Prints "done" when the change completed before call N.
 * Arguments: <folder> <old password> <new password> <N>.
 */
import { changePassword } from '../../core/keys/keys'
import { realFs, type FsLayer } from '../../core/storage/atomic'

const [folder, oldPw, newPw, at] = process.argv.slice(2) as [string, string, string, string]
const killAt = Number(at)
let calls = 0
function step(): void {
  if (calls++ === killAt) process.kill(process.pid, 'SIGKILL')
}

const layer: FsLayer = {
  mkdir: async (p, o) => (step(), realFs.mkdir(p, o)),
  async open(p, f, m) {
    step()
    const h = await realFs.open(p, f, m)
    return {
      write: async (d) => (step(), h.write(d)),
      sync: async () => (step(), h.sync()),
      close: async () => (step(), h.close()),
    }
  },
  rename: async (a, b) => (step(), realFs.rename(a, b)),
  rm: async (p, o) => (step(), realFs.rm(p, o)),
  readdir: async (p) => (step(), realFs.readdir(p)),
  stat: async (p) => (step(), realFs.stat(p)),
}

await changePassword(folder, oldPw, newPw, { fs: layer, iterations: 2048 })
process.stdout.write(`done ${calls}\n`)
