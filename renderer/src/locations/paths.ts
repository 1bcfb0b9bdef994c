/** Absolute on the host's OS: `/…`, `C:\…` or a UNC path. Main checks again; this only helps typing. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

/** An example path for the PFX file on the host's OS. Owner names become safe file names. */
export function suggestPfxPath(platform: string, owner: string): string {
  const name = (owner.replace(/[\\/:*?"<>|]+/g, '_').replace(/\p{Cc}+/gu, '_').trim() || 'certificate').slice(0, 60)
  if (platform === 'win32') return `C:\\Users\\me\\Documents\\${name}.pfx`
  if (platform === 'darwin') return `/Users/me/Documents/${name}.pfx`
  return `/home/me/Documents/${name}.pfx`
}
