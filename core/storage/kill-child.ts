/**
 * The process tests/reliability/storage-kill.test.ts kills with SIGKILL at random moments.
 * It repeats one operation until killed:
 *   copy     SRC1|SRC2 -> ROOT, alternately, with overwrite (two key files for one certificate)
 *   move     ROOT_A <-> ROOT_B, back and forth
 *   passwd   change the folder's password between two values
 *   pfx      import a PFX into ROOT with replace, alternating the new key password
 * Arguments: <op> <json config>. Prints "ready" once everything is loaded and "op" after each
 * completed operation.
 */
import { readCertFiles, signCertOf, signKeyOf } from './folder'

// Each operation loads only its own modules, so a child starts fast enough for 200 kills.
const load = {
  ops: () => import('./operations'),
  keys: () => import('../keys/keys'),
  pfx: () => import('../pfx/operations'),
  signpri: () => import('../formats/signpri'),
  keySwap: () => import('../keys/key-swap'),
}

interface Config {
  src?: string[]
  root?: string
  rootA?: string
  rootB?: string
  folder?: string
  folderName?: string
  caFolder?: string
  pfx?: string
  passwords: string[]
}

async function currentPassword(folder: string, candidates: string[]): Promise<string> {
  const { openSignKey } = await load.signpri()
  // As the app does before it opens a key: a swap the previous child was killed in is finished
  // or undone first. Reading before that could find the old password in place and then have
  // changePassword's own recovery finish the swap under it.
  const { recoverKeySwap } = await load.keySwap()
  await recoverKeySwap(folder)
  const files = await readCertFiles(folder)
  for (const p of candidates) {
    try {
      openSignKey(signCertOf(files), signKeyOf(files), p)
      return p
    } catch {
      /* try the next */
    }
  }
  throw new Error('no candidate password opens the key')
}

async function main(): Promise<void> {
  const op = process.argv[2]
  const cfg = JSON.parse(process.argv[3] ?? '{}') as Config
  const { copyCert, moveCert } = await load.ops()
  const { changePassword } = op === 'passwd' ? await load.keys() : { changePassword: undefined }
  const { importPfx } = op === 'pfx' ? await load.pfx() : { importPfx: undefined }
  if (op === 'passwd') await Promise.all([load.signpri(), load.keySwap()])
  process.stdout.write('ready\n')
  for (let i = 0; ; i++) {
    if (op === 'copy') {
      const src = cfg.src![i % 2]!
      await copyCert(src, { toRoot: cfg.root!, password: cfg.passwords[i % 2], overwrite: true })
    } else if (op === 'move') {
      const there = (root: string): string => `${root}/${cfg.caFolder}/USER/${cfg.folderName}`
      const fromA = await readCertFiles(there(cfg.rootA!)).then(
        () => true,
        () => false,
      )
      await moveCert(fromA ? there(cfg.rootA!) : there(cfg.rootB!), { toRoot: fromA ? cfg.rootB! : cfg.rootA!, overwrite: true })
    } else if (op === 'passwd') {
      const cur = await currentPassword(cfg.folder!, cfg.passwords)
      const next = cfg.passwords.find((p, k) => k > 0 && p !== cur)!
      await changePassword!(cfg.folder!, cur, next, { iterations: 2048 })
    } else if (op === 'pfx') {
      await importPfx!(cfg.pfx!, cfg.passwords[0]!, cfg.root!, { keyPassword: cfg.passwords[1 + (i % 2)], replace: true })
    } else {
      throw new Error(`unknown op ${op}`)
    }
    // The parent times a few operations to aim its kills inside them.
    process.stdout.write('op\n')
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`child failed: ${(err as Error).message}\n`)
  process.exit(3)
})
