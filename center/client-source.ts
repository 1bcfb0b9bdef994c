import { BlockList, isIP } from 'node:net'
import { CertError } from '../shared/errors'
import { sourceKey } from './source-throttle'

/**
 * Which network source a request comes from, for the throttles (center/source-throttle.ts).
 *
 * By default the socket's peer: a header anyone can write proves nothing. Behind a reverse proxy
 * that peer is the proxy for every client, so the operator may list the proxies' addresses
 * (`certmgr center serve --trusted-proxies`); only for a request whose peer is one of them is
 * X-Forwarded-For read, from the right (the entry the nearest proxy appended) leftwards past
 * further listed proxies, and the first address not on the list is the client. Whatever a
 * client wrote into the header itself sits to the left of that and is never reached.
 */

/** The operator's list: addresses (`10.0.0.5`, `::1`) or subnets (`10.0.0.0/24`, `fd00::/8`). */
export function parseTrustedProxies(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined
  const list = new BlockList()
  for (const raw of entries) {
    const entry = raw.trim()
    const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry)
    const address = m?.[1] ?? ''
    const family = isIP(address)
    const prefix = m?.[2] === undefined ? undefined : Number(m[2])
    if (family === 0 || (prefix !== undefined && prefix > (family === 4 ? 32 : 128))) {
      throw new CertError('BAD_REQUEST', `a trusted proxy must be an IP address or subnet (got '${entry.slice(0, 64)}')`)
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, prefix, type)
  }
  return list
}

/** An address as the list compares it: an IPv4-mapped IPv6 address as plain IPv4, no zone. */
function normal(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').replace(/%.*$/, '')
}

function listed(list: BlockList, address: string): boolean {
  const family = isIP(address)
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** One X-Forwarded-For entry as an address: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address, `[v6]` or `[v6]:port`; undefined otherwise. */
function hopAddress(entry: string): string | undefined {
  const e = entry.trim()
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(e)
  const candidate = bracketed ? bracketed[1]! : /^\d+\.\d+\.\d+\.\d+:\d{1,5}$/.test(e) ? e.slice(0, e.lastIndexOf(':')) : e
  const a = normal(candidate)
  return isIP(a) === 0 ? undefined : a
}

/** The throttle key of a request's client: see the file comment. */
export function clientSource(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, proxies: BlockList | undefined): string {
  let address = normal(remoteAddress ?? '')
  if (!proxies || !listed(proxies, address) || forwardedFor === undefined) return sourceKey(address)
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').reverse()
  for (const hop of hops) {
    const a = hopAddress(hop)
    // Garbage in the chain: the last address a listed proxy vouched for is the source.
    if (a === undefined) break
    address = a
    if (!listed(proxies, a)) break
  }
  return sourceKey(address)
}
