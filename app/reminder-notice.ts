import type { Reminder } from '../core/reminders/reminders'
import { reminderText, type ReminderText } from '../shared/i18n/reminder-text'

export type NotifyReminder = (r: Reminder, text: ReminderText) => void

/**
 * The reminder for the host's notification, worded in the language the settings name at the
 * moment it goes out (a change of language applies to the next one); Korean when the settings
 * cannot be read.
 */
export async function noticeInLanguage(settings: { get(): Promise<{ language: 'ko' | 'en' }> }, r: Reminder, notify: NotifyReminder): Promise<void> {
  let language: 'ko' | 'en' = 'ko'
  try {
    language = (await settings.get()).language
  } catch {
    // keep Korean
  }
  notify(r, reminderText(language, r))
}
