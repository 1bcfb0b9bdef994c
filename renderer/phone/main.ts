/**
 * The phone page the transfer listener serves. No framework: a few DOM helpers and one state
 * object. It runs on a plain http:// LAN origin, where crypto.subtle does not exist; all
 * cryptography comes from shared/cpace (pure JS).
 */
import './style.css'
import { PhoneClient, TransferError } from '../../shared/cpace/client'
import { formatCode, generateCode, normalizeCode, NPKI_ZIP_NAME, PFX_NAME, warmUp, type TransferFile, type TransferFormat } from '../../shared/cpace/transfer'
import { format, messages, pickLang, type Lang, type MsgKey } from './i18n'
import { zipStore } from './zip'

type End = 'locked' | 'expired' | 'ended' | 'tampered'
type View =
  | { kind: 'connecting' }
  | { kind: 'show'; code: string; stage: 'waiting' | 'verifying' | 'receiving'; wrongLeft?: number }
  | { kind: 'received'; format: TransferFormat; url: string; fileName: string }
  | { kind: 'send'; busy: boolean; error?: string }
  | { kind: 'sent' }
  | { kind: 'end'; which: End }

let lang: Lang = pickLang(navigator.language)
let view: View = { kind: 'connecting' }
let expiresAt = 0
const client = new PhoneClient(document.baseURI, location.origin)

const t = (k: MsgKey, p?: Record<string, string | number>) => format(messages[lang][k], p)

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v)
  for (const c of kids) if (c !== undefined) el.append(c)
  return el
}

// Form controls live across renders so typed digits and chosen files survive a language switch.
const codeInput = h('input', { id: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '14', 'data-testid': 'code-input' })
const fmtPfx = h('input', { type: 'radio', name: 'fmt', value: 'pfx', id: 'fmt-pfx' })
const fmtNpki = h('input', { type: 'radio', name: 'fmt', value: 'npki', id: 'fmt-npki' })
fmtPfx.checked = true
// One file is what a phone has: a PFX, or the NPKI folder as a zip (the PC unpacks it).
const pfxInput = h('input', { type: 'file', accept: '.pfx,.p12,.zip,application/x-pkcs12,application/zip', 'data-testid': 'pfx-file' })
const certInput = h('input', { type: 'file', accept: '.der,.cer', 'data-testid': 'cert-file' })
const keyInput = h('input', { type: 'file', accept: '.key', 'data-testid': 'key-file' })

codeInput.addEventListener('input', () => {
  const d = codeInput.value.replace(/\D/g, '').slice(0, 12)
  codeInput.value = [d.slice(0, 4), d.slice(4, 8), d.slice(8, 12)].filter(Boolean).join('-')
})
for (const r of [fmtPfx, fmtNpki]) r.addEventListener('change', () => render())

function setView(v: View): void {
  view = v
  render()
}

function endFor(err: unknown): End {
  if (err instanceof TransferError) {
    if (err.kind === 'locked') return 'locked'
    if (err.kind === 'expired') return 'expired'
    if (err.kind === 'tampered') return 'tampered'
  }
  return 'ended'
}

function codeBlock(code: string): HTMLElement {
  const groups = formatCode(code).split('-')
  return h('div', { class: 'code', 'data-testid': 'code', 'aria-label': code }, ...groups.map((g) => h('span', {}, g)))
}

function instructions(fileName: string, fmt: TransferFormat): HTMLElement {
  const zip = fmt === 'npki'
  return h(
    'div',
    { class: 'howto' },
    h('h3', {}, t('androidTitle')),
    h('p', {}, t(zip ? 'androidStepsZip' : 'androidSteps', { file: fileName })),
    h('h3', {}, t('iosTitle')),
    h('p', {}, t(zip ? 'iosStepsZip' : 'iosSteps', { file: fileName })),
  )
}

function sendForm(v: Extract<View, { kind: 'send' }>): HTMLElement {
  const isPfx = fmtPfx.checked
  const btn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'send' }, v.busy ? t('sending') : t('send'))
  if (v.busy) btn.setAttribute('disabled', '')
  const form = h(
    'form',
    { class: 'card', novalidate: '' },
    h('label', { for: 'code' }, t('codeLabel')),
    codeInput,
    h(
      'fieldset',
      {},
      h('legend', {}, t('formatLabel')),
      h('label', { class: 'radio' }, fmtPfx, ' ', t('formatPfx')),
      h('label', { class: 'radio' }, fmtNpki, ' ', t('formatNpki')),
    ),
    isPfx
      ? h('label', { class: 'file' }, h('span', {}, t('pfxFile')), pfxInput)
      : h('div', {}, h('label', { class: 'file' }, h('span', {}, t('certFile')), certInput), h('label', { class: 'file' }, h('span', {}, t('keyFile')), keyInput)),
    v.error ? h('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, v.error) : undefined,
    btn,
  )
  codeInput.setAttribute('placeholder', t('codePlaceholder'))
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void onSend()
  })
  return form
}

async function fileBytes(input: HTMLInputElement): Promise<Uint8Array | undefined> {
  const f = input.files?.[0]
  return f ? new Uint8Array(await f.arrayBuffer()) : undefined
}

async function onSend(): Promise<void> {
  if (view.kind !== 'send' || view.busy) return
  const code = normalizeCode(codeInput.value)
  if (!code) return setView({ kind: 'send', busy: false, error: t('needCode') })
  let files: TransferFile[]
  let fmt: TransferFormat = fmtPfx.checked ? 'pfx' : 'npki'
  if (fmt === 'pfx') {
    const one = await fileBytes(pfxInput)
    if (!one) return setView({ kind: 'send', busy: false, error: t('needFiles') })
    // A zip starts with "PK\x03\x04"; a PFX is a DER SEQUENCE (0x30).
    const isZip = one[0] === 0x50 && one[1] === 0x4b && one[2] === 0x03 && one[3] === 0x04
    if (isZip) fmt = 'npki'
    files = [{ name: isZip ? NPKI_ZIP_NAME : PFX_NAME, data: one }]
  } else {
    const cert = await fileBytes(certInput)
    const key = await fileBytes(keyInput)
    if (!cert || !key) return setView({ kind: 'send', busy: false, error: t('needFiles') })
    files = [
      { name: 'signCert.der', data: cert },
      { name: 'signPri.key', data: key },
    ]
  }
  if (files.reduce((n, f) => n + f.data.length, 0) > 256 * 1024) return setView({ kind: 'send', busy: false, error: t('tooLarge') })
  setView({ kind: 'send', busy: true })
  try {
    await client.send(code, fmt, files)
    setView({ kind: 'sent' })
  } catch (err) {
    if (err instanceof TransferError && err.kind === 'wrong-code') return setView({ kind: 'send', busy: false, error: t('wrongCode', { n: err.failuresLeft ?? 0 }) })
    if (err instanceof TransferError && err.kind === 'bad-files') return setView({ kind: 'send', busy: false, error: t('badFiles', { msg: err.message }) })
    if (err instanceof TransferError && err.kind === 'too-large') return setView({ kind: 'send', busy: false, error: t('tooLarge') })
    setView({ kind: 'end', which: endFor(err) })
  }
}

function main(v: View): HTMLElement {
  switch (v.kind) {
    case 'connecting':
      return h('p', { class: 'status', 'data-testid': 'status' }, t('connecting'))
    case 'show': {
      const stage = v.stage === 'waiting' ? t('waitingForPc') : v.stage === 'verifying' ? t('verifying') : t('receiving')
      return h(
        'section',
        { class: 'card' },
        h('h2', {}, t('showTitle')),
        codeBlock(v.code),
        h('p', {}, t('showHelp')),
        v.wrongLeft !== undefined ? h('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, t('wrongOnPc', { n: v.wrongLeft })) : undefined,
        h('p', { class: 'status', 'data-testid': 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), stage),
      )
    }
    case 'received': {
      const a = h('a', { class: 'button primary', href: v.url, download: v.fileName, 'data-testid': 'save' }, v.format === 'pfx' ? t('savePfx') : t('saveZip'))
      return h(
        'section',
        { class: 'card' },
        h('h2', { class: 'ok', 'data-testid': 'done' }, t('receivedTitle')),
        h('p', {}, t('receivedHelp')),
        a,
        h('p', { class: 'hint' }, t('savedWhere')),
        instructions(v.fileName, v.format),
      )
    }
    case 'send':
      return h('section', {}, h('h2', {}, t('sendTitle')), sendForm(v))
    case 'sent':
      return h('section', { class: 'card' }, h('h2', { class: 'ok', 'data-testid': 'done' }, t('sentTitle')), h('p', {}, t('sentHelp')))
    case 'end': {
      const [title, help] = {
        locked: ['lockedTitle', 'lockedHelp'],
        expired: ['expiredTitle', 'expiredHelp'],
        ended: ['endedTitle', 'endedHelp'],
        tampered: ['tamperedTitle', 'tamperedHelp'],
      }[v.which] as [MsgKey, MsgKey]
      return h('section', { class: 'card end' }, h('h2', { class: 'bad', 'data-testid': 'end-title', 'data-end': v.which }, t(title)), h('p', {}, t(help)))
    }
  }
}

const timer = h('span', { class: 'timer', 'data-testid': 'timer' })
function tick(): void {
  if (!expiresAt || view.kind === 'end' || view.kind === 'received' || view.kind === 'sent') {
    timer.textContent = ''
    return
  }
  const left = Math.max(0, expiresAt - Date.now())
  const m = Math.floor(left / 60_000)
  const s = String(Math.floor((left % 60_000) / 1000)).padStart(2, '0')
  timer.textContent = t('expiresIn', { m, s })
  if (left === 0) setView({ kind: 'end', which: 'expired' })
}

function render(): void {
  document.documentElement.lang = lang
  document.title = t('title')
  const toggle = h('button', { type: 'button', class: 'lang', 'data-testid': 'lang' }, t('langToggle'))
  toggle.addEventListener('click', () => {
    lang = lang === 'ko' ? 'en' : 'ko'
    render()
  })
  const app = document.getElementById('app')
  if (!app) return
  app.replaceChildren(
    h('header', {}, h('div', {}, h('h1', {}, t('title')), h('p', { class: 'sub' }, t('subtitle'))), toggle),
    h('main', {}, main(view)),
    h('footer', {}, timer, h('p', { class: 'notice' }, t('notice'))),
  )
  tick()
}

async function receiveFlow(): Promise<void> {
  const code = generateCode()
  setView({ kind: 'show', code, stage: 'waiting' })
  try {
    const got = await client.receive(code, {
      onWrongCode: (n) => {
        if (view.kind === 'show') setView({ ...view, wrongLeft: n })
      },
      onStage: (stage) => {
        if (view.kind === 'show' && view.stage !== stage) setView({ ...view, stage })
      },
    })
    const pfx = got.format === 'pfx'
    const bytes = pfx ? (got.files[0]?.data ?? new Uint8Array(0)) : zipStore(got.files)
    const blob = new Blob([bytes.slice().buffer], { type: pfx ? 'application/x-pkcs12' : 'application/zip' })
    setView({ kind: 'received', format: got.format, url: URL.createObjectURL(blob), fileName: pfx ? 'certificate.pfx' : 'NPKI-certificate.zip' })
  } catch (err) {
    setView({ kind: 'end', which: endFor(err) })
  }
}

async function start(): Promise<void> {
  render()
  setInterval(tick, 1000)
  try {
    const hello = await client.hello()
    expiresAt = Date.now() + hello.expiresInMs
    if (hello.direction === 'pc-to-phone') await receiveFlow()
    else {
      setView({ kind: 'send', busy: false })
      // Compile the curve code while the user types the number (see warmUp).
      setTimeout(() => {
        try {
          warmUp()
        } catch {
          /* only a warm-up */
        }
      }, 50)
    }
  } catch (err) {
    setView({ kind: 'end', which: endFor(err) })
  }
}

void start()
