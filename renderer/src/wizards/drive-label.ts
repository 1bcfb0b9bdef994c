/**
 * Shortens a mount path in its middle so both ends stay readable: the start says which disk
 * tree it is under and the end names the drive itself, which is what people tell drives apart by.
 */
export function middleEllipsis(text: string, max: number): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  const keep = Math.max(2, max - 1)
  const tail = Math.ceil(keep / 2)
  return `${chars.slice(0, keep - tail).join('')}…${chars.slice(chars.length - tail).join('')}`
}

/** The text of one drive in the location dropdown: its label, then its mount path shortened. */
export function driveOptionText(d: { label: string; path: string }, max = 36): string {
  return d.path ? `${d.label} (${middleEllipsis(d.path, max)})` : d.label
}
