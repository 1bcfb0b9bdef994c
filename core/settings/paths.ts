import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * The app's data folder (settings, trash, embedded center). CERTMGR_DATA_DIR overrides it so
 * tests and scripts never touch a real user's data; Electron passes app.getPath('userData').
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CERTMGR_DATA_DIR) return env.CERTMGR_DATA_DIR
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'certmgr')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'certmgr')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'certmgr')
}
