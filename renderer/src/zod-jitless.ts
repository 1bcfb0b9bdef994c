import { z } from 'zod'

// Some screens parse with the shared zod schemas. The app's CSP forbids eval, and zod's probe
// for it (`new Function`) is reported as a CSP violation even though zod catches it, so zod
// runs jitless. Imported first by main.ts: modules that parse while loading must see this.
z.config({ jitless: true })
