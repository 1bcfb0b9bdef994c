import { readFileSync } from 'node:fs'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { isIP } from 'node:net'
import { CertError } from '../../shared/errors'

/** The interface name that carries the IPv4 default route (Linux), read from /proc/net/route. */
export function defaultRouteInterface(routeTable?: string): string | undefined {
  let text = routeTable
  if (text === undefined) {
    try {
      text = readFileSync('/proc/net/route', 'utf8')
    } catch {
      return undefined
    }
  }
  let best: { iface: string; metric: number } | undefined
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 8) continue
    const [iface, dest, , , , , metric, mask] = f
    if (dest === '00000000' && mask === '00000000' && iface) {
      const m = Number(metric)
      if (!best || m < best.metric) best = { iface, metric: m }
    }
  }
  return best?.iface
}

function isPrivateV4(a: string): boolean {
  return /^10\./.test(a) || /^192\.168\./.test(a) || /^172\.(1[6-9]|2\d|3[01])\./.test(a)
}

/**
 * The LAN address to listen on when the caller names none: the IPv4 address of the interface
 * with the default route, else the first private IPv4 address. Never 0.0.0.0: listening on
 * every interface would expose the session on networks the user did not mean.
 */
export function pickLanAddress(
  ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  routeIface: string | undefined = defaultRouteInterface(),
): string {
  const v4 = (name: string) => (ifaces[name] ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address)
  if (routeIface) {
    const a = v4(routeIface)[0]
    if (a) return a
  }
  const all = Object.keys(ifaces).flatMap(v4)
  const pick = all.find(isPrivateV4) ?? all[0]
  if (!pick) throw new CertError('NETWORK', 'no local network address found (is Wi-Fi or Ethernet connected?)')
  return pick
}

/**
 * Accepts only an address one of this computer's interfaces has: that rules out every spelling
 * of the wildcard address (0.0.0.0, ::, 0:0:0:0:0:0:0:0, ::0.0.0.0) and foreign addresses alike.
 */
export function checkBindHost(host: string, ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  if (isIP(host) === 0) throw new CertError('BAD_REQUEST', 'the listen address must be an IP address')
  const own = Object.values(ifaces).flatMap((l) => (l ?? []).map((i) => i.address.toLowerCase()))
  if (!own.includes(host.toLowerCase())) throw new CertError('BAD_REQUEST', 'refusing to listen on an address that is not one of this computer’s interfaces; name one address')
  return host
}

export function urlHostPart(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host
}
