/**
 * The first start of a center on a fresh data directory creates its CA key, the key's secret,
 * the CA certificate, the RA key and the database. Several processes may do that at the same
 * moment (`certmgr center serve` beside an operator command, or nodes of one center started
 * together): they must all end up with the same files, and none may fail or keep a key of its own.
 */
import { spawn } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freshStore, type TestStore } from '../../tests/helpers/postgres'

const REPO = resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'center-first-start-'))
let store: TestStore | undefined

afterAll(async () => {
  await store?.drop()
  rmSync(dir, { recursive: true, force: true })
})

/** Opens the center on DATA once stdin says go, and prints what it ended up with. */
const CHILD = `
import { createHash } from 'node:crypto'
import { openCenterDb } from '${REPO}/center/db.ts'
import { Ca } from '${REPO}/center/ca/ca.ts'
import { resolveConfig } from '${REPO}/center/config.ts'
import { loadRaKey } from '${REPO}/center/ra/secrets.ts'
const [dataDir, dbUrl] = process.argv.slice(2)
process.stdin.once('data', async () => {
  const db = await openCenterDb(dataDir, { dbUrl: dbUrl || undefined })
  const ca = await Ca.open(db, dataDir, resolveConfig())
  const raKey = await loadRaKey(db, dataDir)
  const sha = (b) => createHash('sha256').update(b).digest('hex')
  console.log(JSON.stringify({ cert: sha(ca.caCertDer()), raKey: sha(raKey) }))
  db.close()
  process.exit(0)
})
process.stdout.write('ready\\n')
`

describe('first start', () => {
  it('processes starting together on a fresh data dir agree on one CA key, secret, certificate and RA key (first-start race)', async () => {
    store = await freshStore()
    const script = join(dir, 'child.ts')
    writeFileSync(script, CHILD)
    const dataDir = join(dir, 'data')
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', script, dataDir, store!.dbUrl ?? ''], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] }))
    const outputs = children.map(
      (c) =>
        new Promise<{ code: number | null; out: string; err: string }>((done) => {
          let out = ''
          let err = ''
          c.stdout.on('data', (b: Buffer) => (out += b.toString()))
          c.stderr.on('data', (b: Buffer) => (err += b.toString()))
          c.on('exit', (code) => done({ code, out, err }))
        }),
    )
    // All loaded and waiting, then all released at once: the creations overlap.
    await Promise.all(children.map((c) => new Promise<void>((ok) => c.stdout.once('data', () => ok()))))
    for (const c of children) c.stdin.end('go\n')
    const results = await Promise.all(outputs)
    for (const r of results) expect(r.err).toBe('')
    for (const r of results) expect(r.code).toBe(0)
    const seen = results.map((r) => JSON.parse(r.out.split('\n').find((l) => l.startsWith('{'))!) as { cert: string; raKey: string })
    const certFile = readFileSync(join(dataDir, 'ca.crt'))
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
    for (const s of seen) expect(s).toEqual({ cert: sha(certFile), raKey: seen[0]!.raKey })
    // The certificate on disk belongs to the key on disk.
    const { createPrivateKey, createPublicKey } = await import('node:crypto')
    const key = createPrivateKey({ key: readFileSync(join(dataDir, 'ca-key.p8.pem'), 'utf8'), passphrase: readFileSync(join(dataDir, 'ca-secret'), 'utf8').trim() })
    expect(new X509Certificate(certFile).checkPrivateKey(key)).toBe(true)
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(new X509Certificate(certFile).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true)
  })
})
