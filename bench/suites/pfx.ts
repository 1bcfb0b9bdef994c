import { execFile } from 'node:child_process'
import { createPrivateKey } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { readPfx, writePfx } from '../../core/formats/pfx'
import { decryptSignPri, encryptSignPri } from '../../core/formats/signpri'
import { exportPfx } from '../../core/pfx/operations'
import { exportPfxFile } from '../../core/usecases/pfx-export'
import type { BenchResult, BenchSuite } from '../types'
import { paired, pairedTimeRow, wallMs } from '../util'

const run = promisify(execFile)
const FIX = resolve(import.meta.dirname, '../..', '../shared/fixtures/pypinksign')
const ITERATIONS = 100_000

const suite: BenchSuite = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pfx-'))
  try {
    const password = readFileSync(join(FIX, 'password.txt'), 'utf8')
    const pwFile = join(FIX, 'password.txt')
    const { certDer, pkcs8 } = await readPfx(new Uint8Array(readFileSync(join(FIX, 'test.pfx'))), password)
    // The same key and certificate as PEM for OpenSSL.
    const pem = join(dir, 'pair.pem')
    const keyPem = createPrivateKey({ key: Buffer.from(pkcs8.subarray(0, 4 + ((pkcs8[2]! << 8) | pkcs8[3]!))), format: 'der', type: 'pkcs8' })
    const certPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(certDer).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`
    writeFileSync(pem, keyPem.export({ format: 'pem', type: 'pkcs8' }) + certPem)

    const rows: BenchResult[] = []

    // (1) Export: both write AES-256-CBC / PBKDF2-HMAC-SHA256 and an HMAC-SHA256 MAC, all at 100,000
    // iterations (OpenSSL 3's -iter sets the MAC count too; -maciter is kept for older habits).
    const ourOut = join(dir, 'ours.pfx')
    const refOut = join(dir, 'openssl.pfx')
    const exportTimes = await paired(
      5,
      wallMs(async () => writeFile(ourOut, await writePfx({ certDer, pkcs8 }, password, 'modern', { iterations: ITERATIONS }))),
      wallMs(() => run('openssl', ['pkcs12', '-export', '-in', pem, '-out', refOut, '-passout', `file:${pwFile}`, '-iter', String(ITERATIONS), '-maciter'])),
    )
    rows.push(pairedTimeRow('PFX export, modern, 100,000 iterations (vs openssl pkcs12 -export -iter 100000 -maciter, process start included)', exportTimes, 1.3))

    // (2) Opening a key: our scheme A reader on the fixture signPri.key plus the key parse, against
    // OpenSSL decrypting the same PKCS#8 as PBES2 (PBKDF2-HMAC-SHA1, 2048 iterations, SEED-CBC).
    const keyFile = new Uint8Array(readFileSync(join(FIX, 'signPri.key')))
    const pbes2File = join(dir, 'pbes2-seed.key')
    writeFileSync(pbes2File, encryptSignPri(pkcs8, password, { scheme: 'C', iterations: 2048 }))
    const openTimes = await paired(
      15,
      wallMs(() => {
        const { pkcs8: opened } = decryptSignPri(keyFile, password)
        createPrivateKey({ key: Buffer.from(opened), format: 'der', type: 'pkcs8' })
      }),
      wallMs(() => run('openssl', ['pkcs8', '-inform', 'DER', '-in', pbes2File, '-passin', `file:${pwFile}`, '-provider', 'legacy', '-provider', 'default', '-out', '/dev/null'])),
    )
    rows.push(pairedTimeRow('open signPri.key (scheme A, SEED) + parse key (vs openssl pkcs8 -d of the same key as PBES2/SEED-CBC, process start included)', openTimes, 1.3))

    // (3) The use-case layer: the whole export (open the folder's key, encrypt, read back, atomic
    // write) through exportPfxFile with its progress port and a cancel signal, against the same
    // core function called without them. Both sides do the same work; the ratio is the layer's cost.
    const folder = join(dir, 'NPKI', 'yessign', 'USER', 'bench')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'signCert.der'), readFileSync(join(FIX, 'signCert.der')))
    writeFileSync(join(folder, 'signPri.key'), keyFile)
    const ucOut = join(dir, 'usecase.pfx')
    const coreOut = join(dir, 'core.pfx')
    let stages = 0
    const layerTimes = await paired(
      5,
      wallMs(() =>
        exportPfxFile(
          { folder, password, profile: 'modern', outPath: ucOut, overwrite: true, iterations: ITERATIONS },
          { progress: () => void stages++, signal: new AbortController().signal },
        ),
      ),
      wallMs(() => exportPfx(folder, password, coreOut, { profile: 'modern', overwrite: true, iterations: ITERATIONS })),
    )
    if (stages === 0) throw new Error('the use-case reported no progress')
    rows.push(pairedTimeRow('PFX export through the use-case (progress port, cancel checks between stages) vs the core export alone, 100,000 iterations', layerTimes, 1.1))
    return rows
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export default suite
