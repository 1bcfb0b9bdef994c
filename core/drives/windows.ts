import { looksLikeCardReader, trimOrUndefined, type DriveKind, type DriveVolume } from './types'

/**
 * One PowerShell run that prints volumes, disks and the partitions linking them as one JSON
 * document. Enums are cast to strings so Windows PowerShell 5.1 and PowerShell 7 print the
 * same thing (5.1 would print DriveType/BusType as numbers otherwise).
 */
export const POWERSHELL_SCRIPT = [
  '$ErrorActionPreference = "SilentlyContinue"',
  '[Console]::OutputEncoding = [System.Text.Encoding]::UTF8',
  '$v = @(Get-Volume | Select-Object @{n="DriveLetter";e={[string]$_.DriveLetter}},FileSystemLabel,FileSystem,@{n="DriveType";e={[string]$_.DriveType}},Size,SizeRemaining,Path,UniqueId)',
  '$d = @(Get-Disk | Select-Object Number,FriendlyName,@{n="BusType";e={[string]$_.BusType}},IsReadOnly,IsOffline,Size,SerialNumber)',
  '$p = @(Get-Partition | Select-Object DiskNumber,PartitionNumber,@{n="DriveLetter";e={[string]$_.DriveLetter}},AccessPaths)',
  '@{ Volumes = $v; Disks = $d; Partitions = $p } | ConvertTo-Json -Depth 4',
].join('; ')

export const POWERSHELL_ARGS = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', POWERSHELL_SCRIPT]

interface WinVolume {
  DriveLetter?: string | number | null
  FileSystemLabel?: string | null
  FileSystem?: string | null
  DriveType?: string | number | null
  Size?: number | null
  Path?: string | null
  UniqueId?: string | null
}
interface WinDisk {
  Number?: number
  FriendlyName?: string | null
  BusType?: string | number | null
  IsReadOnly?: boolean
  Size?: number
}
interface WinPartition {
  DiskNumber?: number
  DriveLetter?: string | number | null
  AccessPaths?: string[] | string | null
}

// MSFT_Disk.BusType and MSFT_Volume.DriveType numeric values, for output that skipped the casts.
const BUS_TYPES: Record<number, string> = { 1: 'SCSI', 2: 'ATAPI', 3: 'ATA', 4: '1394', 6: 'Fibre Channel', 7: 'USB', 8: 'RAID', 11: 'SATA', 12: 'SD', 13: 'MMC', 17: 'NVMe' }
const DRIVE_TYPES: Record<number, string> = { 2: 'Removable', 3: 'Fixed', 4: 'Remote', 5: 'CD-ROM', 6: 'RAM Disk' }

function asArray<T>(v: T | T[] | null | undefined): T[] {
  if (v === null || v === undefined) return []
  return Array.isArray(v) ? v : [v]
}

function letterOf(v: string | number | null | undefined): string | undefined {
  if (typeof v === 'number') return v > 0 ? String.fromCharCode(v) : undefined
  const t = trimOrUndefined(v)
  return t && /^[A-Za-z]$/.test(t) ? t.toUpperCase() : undefined
}

function enumText(v: string | number | null | undefined, table: Record<number, string>): string | undefined {
  if (typeof v === 'number') return table[v]
  return trimOrUndefined(v)
}

/** Reads the JSON printed by POWERSHELL_SCRIPT: removable, USB, SD/MMC and optical volumes with a letter or mount path. */
export function parseWindowsVolumes(json: string): DriveVolume[] {
  let doc: { Volumes?: WinVolume | WinVolume[]; Disks?: WinDisk | WinDisk[]; Partitions?: WinPartition | WinPartition[] }
  try {
    doc = JSON.parse(json.replace(/^\uFEFF/, '')) as typeof doc
  } catch {
    return []
  }
  const disks = new Map<number, WinDisk>()
  for (const d of asArray(doc.Disks)) if (typeof d.Number === 'number') disks.set(d.Number, d)
  const diskOfLetter = new Map<string, WinDisk>()
  const diskOfPath = new Map<string, WinDisk>()
  for (const p of asArray(doc.Partitions)) {
    const disk = typeof p.DiskNumber === 'number' ? disks.get(p.DiskNumber) : undefined
    if (!disk) continue
    const l = letterOf(p.DriveLetter)
    if (l) diskOfLetter.set(l, disk)
    for (const ap of asArray(p.AccessPaths)) if (typeof ap === 'string') diskOfPath.set(ap.toLowerCase(), disk)
  }
  const out: DriveVolume[] = []
  for (const v of asArray(doc.Volumes)) {
    const letter = letterOf(v.DriveLetter)
    if (!letter) continue // a volume without a letter has no path the user can browse
    const driveType = enumText(v.DriveType, DRIVE_TYPES)
    const volPath = trimOrUndefined(v.Path) ?? trimOrUndefined(v.UniqueId)
    const disk = diskOfLetter.get(letter) ?? (volPath ? diskOfPath.get(volPath.toLowerCase()) : undefined)
    const bus = enumText(disk?.BusType, BUS_TYPES)
    const busLc = bus?.toLowerCase()
    const optical = driveType === 'CD-ROM'
    const external = optical || driveType === 'Removable' || busLc === 'usb' || busLc === 'sd' || busLc === 'mmc' || busLc === '1394'
    if (!external) continue
    const model = trimOrUndefined(disk?.FriendlyName)
    let kind: DriveKind = 'other'
    if (optical) kind = 'optical'
    else if (busLc === 'sd' || busLc === 'mmc' || looksLikeCardReader(model)) kind = 'card-reader'
    else if (busLc === 'usb') kind = driveType === 'Removable' ? 'usb-stick' : 'usb-disk'
    out.push({
      id: volPath ?? `${letter}:`,
      mountPoint: `${letter}:\\`,
      label: trimOrUndefined(v.FileSystemLabel),
      fsType: trimOrUndefined(v.FileSystem),
      sizeBytes: typeof v.Size === 'number' ? v.Size : undefined,
      readOnly: disk?.IsReadOnly === true || optical,
      kind,
      bus: busLc,
      model,
    })
  }
  return out
}
