// The layer rule (README, Architecture): an import may only point down.
//
//   hosts   electron/ (Electron shell, preload, browser host) · cli/
//   app     app/      contract dispatch, handlers, composition root
//   core    core/     formats, certificates, storage, tokens, enrollment, transfer
//   shared  shared/   isomorphic code for Node and the browser
//   center/ a separate program on core + shared; the app may embed it
//   renderer/ knows only shared/ (the contract)
//
// Resolved paths are compared, not import strings, so `../../app/x` and `../app/x` are judged
// by where they land. Tests next to the code obey the same rule; tests/ may reach anything.
import { dirname, relative, resolve, sep } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')

/** Which top-level folders each top-level folder may import from (besides itself). */
export const ALLOWED = {
  shared: [],
  core: ['shared'],
  center: ['core', 'shared'],
  app: ['core', 'shared', 'center'],
  cli: ['app', 'core', 'shared', 'center'],
  electron: ['app', 'core', 'shared', 'center'],
  renderer: ['shared'],
  bench: ['app', 'core', 'shared', 'center', 'cli', 'tests'],
}
/** Helpers for tests, importable from tests anywhere. */
const TEST_HELPERS = `tests${sep}helpers${sep}`

function topOf(absPath) {
  const rel = relative(ROOT, absPath)
  if (rel.startsWith('..')) return undefined
  return rel.split(sep)[0]
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports point down the layers: hosts → app → core → shared' },
    schema: [],
    messages: { up: '{{from}}/ may not import from {{to}}/ (layer rule, eslint/layers.js)' },
  },
  create(context) {
    const file = context.filename
    const from = topOf(file)
    if (!from || !(from in ALLOWED)) return {}
    const isTest = /\.(test|spec)\.ts$/.test(file)
    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const target = resolve(dirname(file), source)
      const to = topOf(target)
      // Files at the top (package.json) belong to no layer.
      if (!relative(ROOT, target).includes(sep)) return
      if (!to || to === from || ALLOWED[from].includes(to)) return
      if (isTest && relative(ROOT, target).startsWith(TEST_HELPERS)) return
      context.report({ node, messageId: 'up', data: { from, to } })
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
    }
  },
}

export default { rules: { layers: rule } }
