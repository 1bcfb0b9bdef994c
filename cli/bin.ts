import { runAsProcess } from './certmgr'

// Entry of the `certmgr` command (package.json "bin"), bundled by `npm run build` into
// out/cli/certmgr.mjs so the command runs on plain Node without a TypeScript loader.
runAsProcess()
