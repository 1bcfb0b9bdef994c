import type { MessageCompiler, MessageContext } from 'vue-i18n'

/**
 * The app's messages use one piece of vue-i18n's syntax: named parameters (`{owner}`); the rest
 * is text (i18n.test.ts keeps `|`, `@` and `$` out of them). Compiling them is a split, instead of
 * vue-i18n's tokenizer and parser running for every message the first screen shows. i18n.test.ts
 * checks that every message renders as vue-i18n's own compiler renders it.
 */
export const compileMessage: MessageCompiler = (message, { key, onError }) => {
  if (typeof message !== 'string') {
    onError?.(Object.assign(new Error(`message ${key} is not text`), { code: 0, domain: 'compile' }) as never)
    return () => key
  }
  // Odd indices are parameter names.
  const parts = message.split(/\{(\w+)\}/)
  if (parts.length === 1) return () => message
  return (ctx: MessageContext<string>) =>
    parts
      .map((p, i) => {
        if (i % 2 === 0) return p
        const v = ctx.named(p)
        return v === undefined || v === null ? '' : String(v)
      })
      .join('')
}
