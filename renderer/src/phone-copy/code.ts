/** The 12 digits of a number typed or pasted in any shape (spaces, dashes). */
export function codeDigits(input: string): string {
  return input.replace(/\D/g, '').slice(0, 12)
}

/** 4-4-4 as the phone shows it: 1234-5678-9012 (partial input stays partial). */
export function formatCode(input: string): string {
  const d = codeDigits(input)
  return [d.slice(0, 4), d.slice(4, 8), d.slice(8, 12)].filter(Boolean).join('-')
}

/** m:ss for the countdown. */
export function formatRemaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}
