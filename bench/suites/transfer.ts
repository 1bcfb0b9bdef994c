import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { chromium } from '@playwright/test'
import { build } from 'esbuild'
import { PhoneClient } from '../../shared/cpace/client'
import { pcRespond, phoneFinish, phoneStart, type TransferFile } from '../../shared/cpace/transfer'
import { storeReceived } from '../../core/transfer/files'
import { startReceiveSession } from '../../core/transfer/listener'
import type { BenchResult, BenchSuite } from '../types'

const ROOT = resolve(import.meta.dirname, '../..')
const FIX = resolve(ROOT, '../shared/fixtures/pypinksign')
const page = { html: '<html><head></head></html>', js: new Uint8Array(0), css: new Uint8Array(0) }
const median = (t: number[]): number => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!

/** Phone → PC on loopback: from the moment the number is entered to the folder on disk. */
async function transferOnce(files: TransferFile[], password: string, root: string): Promise<number> {
  const s = await startReceiveSession({ host: '127.0.0.1', page })
  try {
    const client = new PhoneClient(s.url + '/', new URL(s.url).origin)
    const t0 = performance.now()
    await client.send(s.code, 'npki', files)
    await storeReceived(await s.result, password, root, { replace: true })
    return performance.now() - t0
  } finally {
    s.cancel()
  }
}

/** The reference: one bare HTTP POST of the same bytes on loopback. */
async function barePost(port: number, body: Uint8Array): Promise<number> {
  const t0 = performance.now()
  const r = await fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: body.slice().buffer })
  await r.arrayBuffer()
  return performance.now() - t0
}

const CPACE_ENTRY = `
import { pcRespond, phoneFinish, phoneStart, warmUp } from './shared/cpace/transfer'
globalThis.cpaceWarmUp = warmUp
const origin = 'http://192.168.0.10:40000'
globalThis.cpaceOnce = () => {
  const sid = new Uint8Array(16); crypto.getRandomValues(sid)
  const t0 = performance.now()
  const st = phoneStart('123456789012', 'phone-to-pc', origin, sid)
  const t1 = performance.now()
  const pc = pcRespond('123456789012', 'phone-to-pc', origin, sid, st.ya, st.ada)
  const t2 = performance.now()
  const keys = phoneFinish(st, pc.yb, pc.tb)
  const t3 = performance.now()
  if (!keys.peerOk) throw new Error('mismatch')
  return (t1 - t0) + (t3 - t2)
}
`

/** The phone's share of CPace (start + finish; the PC's answer is not counted), in ms. */
function cpaceNodeOnce(): number {
  const sid = crypto.getRandomValues(new Uint8Array(16))
  const origin = 'http://192.168.0.10:40000'
  const t0 = performance.now()
  const st = phoneStart('123456789012', 'phone-to-pc', origin, sid)
  const t1 = performance.now()
  const pc = pcRespond('123456789012', 'phone-to-pc', origin, sid, st.ya, st.ada)
  const t2 = performance.now()
  const keys = phoneFinish(st, pc.yb, pc.tb)
  const t3 = performance.now()
  if (!keys.peerOk) throw new Error('mismatch')
  return t1 - t0 + (t3 - t2)
}

async function cpaceInChromium(runs: number, warm: boolean): Promise<number> {
  const bundle = await build({
    stdin: { contents: CPACE_ENTRY, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  })
  const code = bundle.outputFiles[0]?.text ?? ''
  const browser = await chromium.launch({
    executablePath: process.env.CERTMGR_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  try {
    // A fresh page per sample: the phone runs CPace once per session, so each sample is the
    // first real run in a new page (after the page's own warm-up when `warm`).
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const p = await browser.newPage()
      await p.addScriptTag({ content: code })
      const cdp = await p.context().newCDPSession(p)
      // A mid-range phone is several times slower than this machine.
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
      // The page warms up at load, off the critical path; that warm-up runs throttled too.
      if (warm) await p.evaluate('globalThis.cpaceWarmUp()')
      times.push((await p.evaluate('globalThis.cpaceOnce()')) as number)
      await p.close()
    }
    return median(times)
  } finally {
    await browser.close()
  }
}

const suite: BenchSuite = async () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-transfer-'))
  const files: TransferFile[] = [
    { name: 'signCert.der', data: new Uint8Array(readFileSync(join(FIX, 'signCert.der'))) },
    { name: 'signPri.key', data: new Uint8Array(readFileSync(join(FIX, 'signPri.key'))) },
  ]
  const password = readFileSync(join(FIX, 'password.txt'), 'utf8').replace(/\r?\n$/, '')
  const body = new Uint8Array(files.reduce((n, f) => n + f.data.length, 0))
  body.set(files[0]!.data, 0)
  body.set(files[1]!.data, files[0]!.data.length)
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('{"ok":true}'))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  const rows: BenchResult[] = []
  try {
    await transferOnce(files, password, join(work, 'warm'))
    await barePost(port, body)
    const ours: number[] = []
    const ref: number[] = []
    for (let i = 0; i < 15; i++) {
      ours.push(await transferOnce(files, password, join(work, `r${i % 3}`)))
      ref.push(await barePost(port, body))
    }
    const o = median(ours)
    const r = median(ref)
    rows.push({
      name: `transfer: number entered → certificate saved, loopback (${o.toFixed(0)} ms; target < 300 ms)`,
      ours: o,
      reference: r,
      unit: 'ms',
      ratio: o / r,
      target: '< 300 ms absolute (ratio: ours / bare HTTP POST of the same bytes)',
      met: o < 300,
    })

    cpaceNodeOnce()
    const nodeTimes: number[] = []
    for (let i = 0; i < 20; i++) nodeTimes.push(cpaceNodeOnce())
    const n = median(nodeTimes)
    const c = await cpaceInChromium(7, true)
    rows.push({
      name: `transfer: phone's CPace in Chromium, 4x CPU throttling, as the page runs it (${c.toFixed(1)} ms; target < 100 ms)`,
      ours: c,
      reference: n,
      unit: 'ms',
      ratio: c / n,
      target: '< 100 ms absolute (reference: the same CPace code in Node, unthrottled)',
      met: c < 100,
    })
    const cold = await cpaceInChromium(5, false)
    rows.push({
      name: `transfer: phone's CPace in Chromium, 4x CPU throttling, cold without the page's warm-up (${cold.toFixed(0)} ms)`,
      ours: cold,
      reference: n,
      unit: 'ms',
      ratio: cold / n,
      target: 'info only: why the page warms up while the number is typed',
    })
  } finally {
    server.close()
    rmSync(work, { recursive: true, force: true })
  }
  return rows
}

export default suite
