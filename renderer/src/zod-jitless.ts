import { z } from 'zod'

// Some screens parse with the shared zod schemas. The app's CSP forbids eval, and zod's probe
// for it (`new Function`) is reported as a CSP violation even though zod catches it, so zod
// runs jitless. Imported first by every module that parses (phone-copy/store.ts), not by
// main.ts: the list screen does without zod, and it stays out of the first bundle.
z.config({ jitless: true })
