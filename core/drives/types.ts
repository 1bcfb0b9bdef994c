/** What kind of removable medium a volume sits on; the UI picks an icon and wording from it. */
export type DriveKind = 'usb-stick' | 'usb-disk' | 'card-reader' | 'optical' | 'other'

/** One mounted volume on a removable or external drive, as the OS reports it. */
export interface DriveVolume {
  /** Stable id while the drive stays attached: device path, BSD name or volume GUID path. */
  id: string
  /** Where the volume is mounted (Linux/macOS path, or `E:\` on Windows). */
  mountPoint: string
  label?: string
  fsType?: string
  sizeBytes?: number
  readOnly: boolean
  kind: DriveKind
  /** Bus as the OS names it, lower-case: usb, mmc, sata, ... */
  bus?: string
  model?: string
  vendor?: string
}

/** Runs an OS tool and returns its standard output; injected so parsers run on saved outputs. */
export type ToolRunner = (file: string, args: string[]) => Promise<string>

export function trimOrUndefined(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  const t = v.trim()
  return t === '' ? undefined : t
}

/** Card readers announce themselves in the model string, whatever bus they sit on. */
export function looksLikeCardReader(...names: (string | undefined)[]): boolean {
  return names.some((n) => n !== undefined && /card[\s_-]*reader|SD\/MMC|\bSDXC\b|\bSDHC\b|multi[\s_-]*card|\bSD[\s_-]*card|secure digital|\bMMC\b|\bSD\b|reader/i.test(n))
}
