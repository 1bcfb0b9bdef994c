/**
 * A small reader for Apple XML property lists, enough for `diskutil -plist` output: dict,
 * array, string, integer, real, true, false, data (kept as base64 text) and date (ISO text).
 */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue }

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16))
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10))
    return ENTITIES[e] ?? ''
  })
}

interface Tok {
  kind: 'open' | 'close' | 'empty' | 'text'
  name: string
  text: string
}

function tokenize(xml: string): Tok[] {
  const body = xml.replace(/<\?xml[\s\S]*?\?>/g, '').replace(/<!DOCTYPE[\s\S]*?>/g, '').replace(/<!--[\s\S]*?-->/g, '')
  const toks: Tok[] = []
  const re = /<(\/?)([A-Za-z]+)[^>]*?(\/?)>|([^<]+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(body)) !== null) {
    if (m[4] !== undefined) {
      toks.push({ kind: 'text', name: '', text: m[4] })
      continue
    }
    const name = m[2] ?? ''
    toks.push({ kind: m[1] ? 'close' : m[3] ? 'empty' : 'open', name, text: '' })
  }
  return toks
}

export class PlistError extends Error {}

export function parsePlist(xml: string): PlistValue {
  const toks = tokenize(xml)
  let i = 0
  const skipBlank = (): void => {
    while (i < toks.length && toks[i]!.kind === 'text' && toks[i]!.text.trim() === '') i++
  }
  const textUntil = (name: string): string => {
    let s = ''
    while (i < toks.length && !(toks[i]!.kind === 'close' && toks[i]!.name === name)) {
      const t = toks[i]!
      if (t.kind !== 'text') throw new PlistError(`unexpected <${t.name}> inside <${name}>`)
      s += t.text
      i++
    }
    if (i >= toks.length) throw new PlistError(`unterminated <${name}>`)
    i++
    return decode(s)
  }
  const value = (): PlistValue => {
    skipBlank()
    const t = toks[i++]
    if (!t) throw new PlistError('unexpected end of plist')
    if (t.kind === 'empty') {
      if (t.name === 'true') return true
      if (t.name === 'false') return false
      if (t.name === 'string' || t.name === 'data') return ''
      if (t.name === 'dict') return {}
      if (t.name === 'array') return []
      throw new PlistError(`unexpected <${t.name}/>`)
    }
    if (t.kind !== 'open') throw new PlistError('malformed plist')
    switch (t.name) {
      case 'dict': {
        const obj: Record<string, PlistValue> = {}
        for (;;) {
          skipBlank()
          const k = toks[i]
          if (!k) throw new PlistError('unterminated <dict>')
          if (k.kind === 'close' && k.name === 'dict') {
            i++
            return obj
          }
          if (k.kind !== 'open' || k.name !== 'key') throw new PlistError('expected <key> in <dict>')
          i++
          const key = textUntil('key')
          obj[key] = value()
        }
      }
      case 'array': {
        const arr: PlistValue[] = []
        for (;;) {
          skipBlank()
          const k = toks[i]
          if (!k) throw new PlistError('unterminated <array>')
          if (k.kind === 'close' && k.name === 'array') {
            i++
            return arr
          }
          arr.push(value())
        }
      }
      case 'string':
        return textUntil('string')
      case 'integer':
      case 'real': {
        const n = Number(textUntil(t.name).trim())
        if (!Number.isFinite(n)) throw new PlistError(`bad <${t.name}>`)
        return n
      }
      case 'data':
        return textUntil('data').replace(/\s+/g, '')
      case 'date':
        return textUntil('date').trim()
      case 'plist': {
        const v = value()
        skipBlank()
        return v
      }
      default:
        throw new PlistError(`unsupported <${t.name}>`)
    }
  }
  return value()
}

export function isDict(v: PlistValue | undefined): v is { [key: string]: PlistValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
