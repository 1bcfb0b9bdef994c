import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DriveWatcher, listDrives, type DriveVolume, type UsbEventSource } from './index'
import { parseLsblk } from './linux'
import { parseDiskutilInfo, parseDiskutilList } from './macos'
import { parsePlist } from './plist'
import { parseWindowsVolumes } from './windows'

const fx = (p: string): string => readFileSync(join(import.meta.dirname, 'fixtures', p), 'utf8')
const byMount = (l: DriveVolume[]): Record<string, DriveVolume> => Object.fromEntries(l.map((v) => [v.mountPoint, v]))

describe('lsblk parser', () => {
  const drives = parseLsblk(fx('linux/lsblk.json'))
  const m = byMount(drives)

  it('offers only external volumes that are mounted', () => {
    expect(drives.map((d) => d.mountPoint).sort()).toEqual(['/media/hong/Elements', '/media/hong/NPKI_BACKUP', '/media/hong/NPKI_RO', '/media/hong/SANDISK', '/media/hong/SDCARD'])
  })
  it('classifies stick, disk, card reader, optical and read-only media', () => {
    expect(m['/media/hong/SANDISK']).toMatchObject({ id: '/dev/sdb1', kind: 'usb-stick', readOnly: false, label: 'SANDISK', fsType: 'vfat', bus: 'usb', vendor: 'SanDisk', model: 'Cruzer Blade', sizeBytes: 32014630912 })
    expect(m['/media/hong/Elements']).toMatchObject({ kind: 'usb-disk', readOnly: false, fsType: 'ntfs' })
    expect(m['/media/hong/SDCARD']).toMatchObject({ kind: 'card-reader', fsType: 'exfat' })
    expect(m['/media/hong/NPKI_RO']).toMatchObject({ kind: 'usb-stick', readOnly: true })
    expect(m['/media/hong/NPKI_BACKUP']).toMatchObject({ kind: 'optical', fsType: 'iso9660' })
  })
  it('reads the string booleans and single MOUNTPOINT of util-linux before 2.37', () => {
    const old = JSON.stringify({ blockdevices: [{ name: 'sdb', path: '/dev/sdb', rm: '1', hotplug: '1', ro: '0', type: 'disk', mountpoint: null, size: '4026531840', tran: 'usb', model: 'USB DISK 2.0', vendor: 'Samsung', children: [{ name: 'sdb1', path: '/dev/sdb1', rm: '1', hotplug: '1', ro: '0', type: 'part', mountpoint: '/media/u/KEYS', label: 'KEYS', size: '4025483264', fstype: 'vfat' }] }] })
    expect(parseLsblk(old)).toEqual([{ id: '/dev/sdb1', mountPoint: '/media/u/KEYS', label: 'KEYS', fsType: 'vfat', sizeBytes: 4025483264, readOnly: false, kind: 'usb-stick', bus: 'usb', model: 'USB DISK 2.0', vendor: 'Samsung' }])
  })
  it('returns nothing for garbage', () => {
    expect(parseLsblk('lsblk: unknown column: MOUNTPOINTS')).toEqual([])
  })
})

describe('PowerShell Get-Volume/Get-Disk parser', () => {
  const drives = parseWindowsVolumes(fx('windows/volumes.json'))
  const m = byMount(drives)
  it('offers removable, USB and optical volumes with a drive letter', () => {
    expect(drives.map((d) => d.mountPoint).sort()).toEqual(['D:\\', 'E:\\', 'F:\\', 'G:\\', 'H:\\'])
  })
  it('uses the disk bus to spot a USB hard disk Windows calls Fixed', () => {
    expect(m['F:\\']).toMatchObject({ kind: 'usb-disk', bus: 'usb', label: 'Elements', fsType: 'NTFS', readOnly: false })
    expect(m['E:\\']).toMatchObject({ kind: 'usb-stick', model: 'SanDisk Cruzer Blade', id: '\\\\?\\Volume{c3f5e4d6-8a1b-11ef-9c2e-806e6f6e6963}\\' })
    expect(m['G:\\']).toMatchObject({ kind: 'card-reader' })
    expect(m['H:\\']).toMatchObject({ kind: 'usb-stick', readOnly: true })
    expect(m['D:\\']).toMatchObject({ kind: 'optical', readOnly: true })
  })
  it('takes numeric enums and a single object instead of an array', () => {
    const one = JSON.stringify({ Volumes: { DriveLetter: 75, FileSystemLabel: 'K', FileSystem: 'FAT32', DriveType: 2, Size: 1000 }, Disks: { Number: 1, FriendlyName: 'x', BusType: 7, IsReadOnly: false }, Partitions: { DiskNumber: 1, DriveLetter: 75 } })
    expect(parseWindowsVolumes(one)).toMatchObject([{ mountPoint: 'K:\\', kind: 'usb-stick', bus: 'usb' }])
  })
})

describe('diskutil plist parsers', () => {
  it('reads the plist value types', () => {
    expect(parsePlist('<?xml version="1.0"?><plist version="1.0"><dict><key>a</key><integer>-3</integer><key>b</key><array><true/><false/><string>x &amp; y</string><real>1.5</real></array><key>c</key><dict/></dict></plist>')).toEqual({ a: -3, b: [true, false, 'x & y', 1.5], c: {} })
    expect(() => parsePlist('<plist><dict><key>a</key></plist>')).toThrow()
  })
  it('lists mounted volume identifiers from `diskutil list -plist external physical`', () => {
    expect(parseDiskutilList(fx('macos/list-external-physical.plist'))).toEqual(['disk4s1', 'disk5s2', 'disk6s1', 'disk7s1'])
  })
  it('classifies volumes from `diskutil info -plist`', () => {
    const info = (id: string, whole: string) => parseDiskutilInfo(fx(`macos/info-${id}.plist`), fx(`macos/info-${whole}.plist`))
    expect(info('disk4s1', 'disk4')).toMatchObject({ id: 'disk4s1', mountPoint: '/Volumes/SANDISK', kind: 'usb-stick', readOnly: false, fsType: 'msdos', bus: 'usb', model: 'SanDisk Cruzer Blade Media' })
    // macOS mounts NTFS read-only: the USB hard disk is a source, not a destination.
    expect(info('disk5s2', 'disk5')).toMatchObject({ kind: 'usb-disk', readOnly: true, fsType: 'ntfs' })
    expect(info('disk6s1', 'disk6')).toMatchObject({ kind: 'card-reader', readOnly: false })
    expect(info('disk7s1', 'disk7')).toMatchObject({ kind: 'usb-stick', readOnly: true })
    expect(parseDiskutilInfo(fx('macos/info-disk4.plist'))).toBeUndefined()
  })
  it('runs the macOS listing through an injected tool runner', async () => {
    const calls: string[] = []
    const drives = await listDrives({
      platform: 'darwin',
      run: async (file, args) => {
        calls.push(`${file} ${args.join(' ')}`)
        return args[0] === 'list' ? fx('macos/list-external-physical.plist') : fx(`macos/info-${args[2]}.plist`)
      },
    })
    expect(drives.map((d) => d.mountPoint)).toEqual(['/Volumes/SANDISK', '/Volumes/Elements', '/Volumes/SDCARD', '/Volumes/NPKI_RO'])
    expect(calls).toContain('diskutil info -plist disk6')
  })
})

describe('listDrives', () => {
  it('retries lsblk without MOUNTPOINTS when an old util-linux rejects the column', async () => {
    const seen: string[] = []
    const drives = await listDrives({
      platform: 'linux',
      run: async (_f, args) => {
        seen.push(args.at(-1)!)
        if (args.at(-1)!.includes('MOUNTPOINTS')) throw new Error('lsblk: unknown column: MOUNTPOINTS')
        return fx('linux/lsblk.json')
      },
    })
    expect(seen).toHaveLength(2)
    expect(drives).toHaveLength(5)
  })
  it('gives an empty list when the tool is missing', async () => {
    expect(await listDrives({ platform: 'win32', run: () => Promise.reject(new Error('ENOENT')) })).toEqual([])
  })
  it('runs the real lsblk of this machine without throwing', async () => {
    const drives = await listDrives({ platform: 'linux' })
    expect(Array.isArray(drives)).toBe(true)
  })
})

describe('DriveWatcher', () => {
  const stick: DriveVolume = { id: '/dev/sdb1', mountPoint: '/media/u/S', readOnly: false, kind: 'usb-stick' }

  it('rescans on USB events and reports changes', async () => {
    let fire = (): void => undefined
    const usb: UsbEventSource = async (cb) => {
      fire = cb
      return () => undefined
    }
    let list: DriveVolume[] = []
    let scans = 0
    const w = new DriveWatcher({ list: async () => (scans++, list), usbEvents: usb, pollMs: 60_000, settleMs: [5] })
    const changes: DriveVolume[][] = []
    w.on('change', (d: DriveVolume[]) => changes.push(d))
    await w.start()
    expect(w.usbActive).toBe(true)
    list = [stick]
    fire()
    await new Promise((r) => setTimeout(r, 50))
    expect(changes).toEqual([[stick]])
    expect(scans).toBeGreaterThanOrEqual(2)
    w.stop()
  })

  it('falls back to polling when there is no USB bus, without crashing', async () => {
    let list: DriveVolume[] = []
    // The real `usb` package on this machine: no /sys/bus/usb, so it must decline quietly.
    const w = new DriveWatcher({ list: async () => list, pollMs: 20 })
    const changes: DriveVolume[][] = []
    w.on('change', (d: DriveVolume[]) => changes.push(d))
    await w.start()
    list = [stick]
    await new Promise((r) => setTimeout(r, 80))
    w.stop()
    expect(changes[0]).toEqual([stick])
    expect(w.current()).toEqual([stick])
  })
})
