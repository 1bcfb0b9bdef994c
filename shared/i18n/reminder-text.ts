/** The expiry reminder as the operating system shows it, in the language of the settings. */
export interface ReminderText {
  title: string
  body: string
}

export function reminderText(lang: 'ko' | 'en', r: { owner: string; daysLeft: number }): ReminderText {
  if (lang === 'en') {
    const when = r.daysLeft <= 0 ? 'today' : r.daysLeft === 1 ? 'in 1 day' : `in ${r.daysLeft} days`
    return { title: 'Certificate renewal reminder', body: `${r.owner}’s certificate expires ${when}. Click to renew it.` }
  }
  const when = r.daysLeft <= 0 ? '오늘' : `${r.daysLeft}일 후`
  return { title: '공동인증서 갱신 안내', body: `${r.owner}님의 인증서가 ${when} 만료됩니다. 눌러서 갱신하세요.` }
}
