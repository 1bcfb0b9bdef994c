/**
 * Turns call names ('certs.list', 'keys.changePassword') into a namespaced object
 * (`api.certs.list(req)`), the narrow API the preload exposes and the renderer uses.
 */
export type Namespaced = Record<string, Record<string, (req?: unknown) => Promise<unknown>>>

export function namespaced(names: string[], invoke: (name: string, payload: unknown) => Promise<unknown>): Namespaced {
  const api: Namespaced = {}
  for (const name of names) {
    const dot = name.indexOf('.')
    const area = name.slice(0, dot)
    const verb = name.slice(dot + 1)
    api[area] ??= {}
    api[area][verb] = (req?: unknown) => invoke(name, req ?? {})
  }
  return api
}
