/**
 * The 6-digit code in a 문자함 message: an SMS ("인증번호 123456") or an ARS script ("인증번호는
 * 1 2 3 4 5 6"). Empty when the message carries none.
 */
export function codeInMessage(text: string): string {
  const m = /인증번호(?:는)?\s*((?:\d\s?){6})/.exec(text)
  return m ? m[1]!.replace(/\s/g, '') : ''
}
