import { looksLikeCardReader, trimOrUndefined, type DriveKind, type DriveVolume } from './types'

/** The lsblk invocation whose JSON `parseLsblk` reads (`-b`: sizes in bytes, not "14.9G"). */
export const LSBLK_ARGS = ['-J', '-b', '-o', 'NAME,PATH,RM,HOTPLUG,RO,TYPE,MOUNTPOINT,MOUNTPOINTS,LABEL,SIZE,TRAN,FSTYPE,MODEL,VENDOR']

interface LsblkDevice {
  name?: string
  path?: string
  rm?: boolean | string | number
  hotplug?: boolean | string | number
  ro?: boolean | string | number
  type?: string
  mountpoint?: string | null
  mountpoints?: (string | null)[]
  label?: string | null
  size?: number | string | null
  tran?: string | null
  fstype?: string | null
  model?: string | null
  vendor?: string | null
  children?: LsblkDevice[]
}

// util-linux before 2.37 prints booleans as "0"/"1" strings; later versions print true/false.
function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true'
}

function size(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  return undefined
}

function mountsOf(d: LsblkDevice): string[] {
  const list = (d.mountpoints ?? []).filter((m): m is string => typeof m === 'string' && m !== '')
  if (list.length === 0 && typeof d.mountpoint === 'string' && d.mountpoint !== '') list.push(d.mountpoint)
  // Swap and the snap/overlay internals are not places a user stores certificates.
  return list.filter((m) => m !== '[SWAP]' && m.startsWith('/'))
}

interface Inherited {
  rm: boolean
  hotplug: boolean
  tran?: string
  model?: string
  vendor?: string
  diskRo: boolean
}

function classify(type: string | undefined, inh: Inherited, name: string): DriveKind {
  if (type === 'rom') return 'optical'
  if (inh.tran === 'mmc' || name.startsWith('mmcblk')) return 'card-reader'
  if (looksLikeCardReader(inh.model, inh.vendor)) return 'card-reader'
  if (inh.tran === 'usb') return inh.rm ? 'usb-stick' : 'usb-disk'
  return 'other'
}

function isExternal(type: string | undefined, inh: Inherited, name: string): boolean {
  if (type === 'rom') return true
  if (inh.rm || inh.hotplug) return true
  return inh.tran === 'usb' || inh.tran === 'mmc' || inh.tran === 'ieee1394' || name.startsWith('mmcblk')
}

/** Reads `lsblk -J -b -o ...` output and returns the mounted volumes of removable or external drives. */
export function parseLsblk(json: string): DriveVolume[] {
  let doc: { blockdevices?: LsblkDevice[] }
  try {
    doc = JSON.parse(json) as { blockdevices?: LsblkDevice[] }
  } catch {
    return []
  }
  const out: DriveVolume[] = []
  const visit = (d: LsblkDevice, parent: Inherited | undefined): void => {
    const name = d.name ?? ''
    // Partitions usually carry no TRAN/MODEL of their own: take the whole disk's.
    const inh: Inherited = {
      rm: flag(d.rm) || (parent?.rm ?? false),
      hotplug: flag(d.hotplug) || (parent?.hotplug ?? false),
      tran: trimOrUndefined(d.tran)?.toLowerCase() ?? parent?.tran,
      model: trimOrUndefined(d.model) ?? parent?.model,
      vendor: trimOrUndefined(d.vendor) ?? parent?.vendor,
      diskRo: flag(d.ro) || (parent?.diskRo ?? false),
    }
    const mounts = mountsOf(d)
    if (mounts.length > 0 && isExternal(d.type, inh, name) && d.type !== 'loop') {
      out.push({
        id: d.path ?? `/dev/${name}`,
        mountPoint: mounts[0]!,
        label: trimOrUndefined(d.label),
        fsType: trimOrUndefined(d.fstype),
        sizeBytes: size(d.size),
        readOnly: inh.diskRo,
        kind: classify(d.type, inh, name),
        bus: inh.tran,
        model: inh.model,
        vendor: inh.vendor,
      })
    }
    for (const c of d.children ?? []) visit(c, inh)
  }
  for (const d of doc.blockdevices ?? []) visit(d, undefined)
  return out
}
