import { contextBridge, ipcRenderer, webUtils } from 'electron'
import type { AppEvent } from '../../shared/contract/progress'
import { namespaced } from '../../shared/contract/namespaced'
import { CALL_NAMES } from './call-names'

// A narrow bridge (checklist #3/#20): only the contract's call names can be invoked, and the
// renderer never gets ipcRenderer itself. Events arrive on one channel. The names come from a
// generated names-only module (call-names.ts), not the contract: the schemas would make the
// preload 45 KB gzip instead of a few, and main checks every payload against them anyway.
const allowed = new Set(CALL_NAMES)
const EVENT_CHANNEL = 'certmgr:event'

const bridge = {
  invoke(name: string, payload: unknown) {
    if (!allowed.has(name)) return Promise.resolve({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown call' } })
    return ipcRenderer.invoke(name, payload)
  },
  onEvent(cb: (e: AppEvent) => void) {
    const listener = (_e: unknown, ev: AppEvent) => cb(ev)
    ipcRenderer.on(EVENT_CHANNEL, listener)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener)
    }
  },
}

// `certmgr.invoke(name, req)` for the typed client, and `certmgr.certs.list(req)` style calls.
// pathForFile: the real path of a file the user dropped or picked (Electron only), so main can
// open a PFX the user chose; it reveals nothing the user did not hand over.
contextBridge.exposeInMainWorld('certmgr', {
  ...namespaced([...allowed], bridge.invoke),
  invoke: bridge.invoke,
  onEvent: bridge.onEvent,
  pathForFile: (file: File) => webUtils.getPathForFile(file),
})
