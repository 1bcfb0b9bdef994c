import { isDict, parsePlist, PlistError, type PlistValue } from './plist'
import { looksLikeCardReader, trimOrUndefined, type DriveKind, type DriveVolume } from './types'

export const DISKUTIL_LIST_ARGS = ['list', '-plist', 'external', 'physical']
export const diskutilInfoArgs = (id: string): string[] => ['info', '-plist', id]

function parse(xml: string): PlistValue | undefined {
  try {
    return parsePlist(xml)
  } catch (e) {
    if (e instanceof PlistError) return undefined
    throw e
  }
}

/**
 * From `diskutil list -plist external physical`: the device identifiers of mounted volumes
 * (partitions, or whole disks formatted without a partition table).
 */
export function parseDiskutilList(xml: string): string[] {
  const doc = parse(xml)
  if (!isDict(doc)) return []
  const ids: string[] = []
  const all = doc['AllDisksAndPartitions']
  if (!Array.isArray(all)) return []
  for (const disk of all) {
    if (!isDict(disk)) continue
    const parts = disk['Partitions']
    const apfs = disk['APFSVolumes']
    const children = [...(Array.isArray(parts) ? parts : []), ...(Array.isArray(apfs) ? apfs : [])]
    if (typeof disk['MountPoint'] === 'string' && typeof disk['DeviceIdentifier'] === 'string') ids.push(disk['DeviceIdentifier'])
    for (const p of children) {
      if (isDict(p) && typeof p['MountPoint'] === 'string' && typeof p['DeviceIdentifier'] === 'string') ids.push(p['DeviceIdentifier'])
    }
  }
  return ids
}

const str = (d: Record<string, PlistValue>, k: string): string | undefined => trimOrUndefined(d[k])
const bool = (d: Record<string, PlistValue>, k: string): boolean | undefined => (typeof d[k] === 'boolean' ? (d[k] as boolean) : undefined)

/** The whole disk a volume belongs to (`ParentWholeDisk`), whose info names the device. */
export function parentDiskOf(xml: string): string | undefined {
  const d = parse(xml)
  return isDict(d) ? str(d, 'ParentWholeDisk') : undefined
}

/**
 * From `diskutil info -plist <volume>` (and optionally the same for its whole disk, which
 * carries the media name partitions lack): one volume, or undefined when it is not mounted.
 */
export function parseDiskutilInfo(xml: string, wholeDiskXml?: string): DriveVolume | undefined {
  const d = parse(xml)
  if (!isDict(d)) return undefined
  const mountPoint = str(d, 'MountPoint')
  if (!mountPoint) return undefined
  const whole = wholeDiskXml !== undefined ? parse(wholeDiskXml) : undefined
  const bus = str(d, 'BusProtocol')
  const busLc = bus?.toLowerCase()
  const media = (isDict(whole) ? str(whole, 'MediaName') : undefined) ?? str(d, 'MediaName')
  const opticalMedia = typeof d['OpticalMediaType'] === 'string' || /^(CD|DVD|BD)/.test(str(d, 'MediaType') ?? '')
  let kind: DriveKind = 'other'
  if (opticalMedia) kind = 'optical'
  else if (busLc === 'secure digital' || looksLikeCardReader(media)) kind = 'card-reader'
  else if (busLc === 'usb') kind = bool(d, 'RemovableMedia') || bool(d, 'Removable') ? 'usb-stick' : 'usb-disk'
  const readOnly = bool(d, 'WritableVolume') === false || bool(d, 'WritableMedia') === false || bool(d, 'ReadOnlyMedia') === true || bool(d, 'ReadOnlyVolume') === true
  const size = d['TotalSize'] ?? d['Size']
  return {
    id: str(d, 'DeviceIdentifier') ?? mountPoint,
    mountPoint,
    label: str(d, 'VolumeName'),
    fsType: str(d, 'FilesystemType'),
    sizeBytes: typeof size === 'number' ? size : undefined,
    readOnly,
    kind,
    bus: busLc,
    model: media,
  }
}
