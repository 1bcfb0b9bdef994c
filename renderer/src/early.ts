import { callEarly } from './api/client'

// The window's first calls, sent by a script of its own that runs before the app's code is
// evaluated (index.html lists it first), so main answers them while the page is being built:
// the settings (language, hide-expired) and the certificate list are there when the app asks.
callEarly('settings.get', {})
callEarly('app.info', {})
callEarly('certs.list', { rescan: false })
