#!/usr/bin/env node
// `npm start`: builds and opens the desktop app. Where the Electron binary was never downloaded
// (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1), it says so in one line and names the browser
// host instead of failing with a stack trace from electron/cli.js. Plain Node, no TypeScript:
// it must run before anything is built.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..')

/** The Electron executable, or undefined when it is not installed. CERTMGR_ELECTRON_BINARY overrides. */
function electronBinary() {
  if (process.env.CERTMGR_ELECTRON_BINARY !== undefined) return existsSync(process.env.CERTMGR_ELECTRON_BINARY) ? process.env.CERTMGR_ELECTRON_BINARY : undefined
  try {
    const bin = createRequire(resolve(ROOT, 'package.json'))('electron')
    return typeof bin === 'string' && existsSync(bin) ? bin : undefined
  } catch {
    return undefined
  }
}

const bin = electronBinary()
if (!bin) {
  process.stderr.write('certmgr: the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD?); run the same app in Chromium with `npm run start:web`\n')
  process.exit(1)
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const built = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
if (built.status !== 0) process.exit(built.status ?? 1)
const child = spawn(bin, [ROOT, ...process.argv.slice(2)], { stdio: 'inherit' })
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
