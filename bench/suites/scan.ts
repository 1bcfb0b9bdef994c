import { X509Certificate } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { scanRoots } from '../../core/certs/scan'
import type { NpkiRoot } from '../../core/certs/roots'
import type { BenchSuite } from '../types'
import { medianMs, timeRow } from '../util'

const PINK = resolve(import.meta.dirname, '../../../shared/fixtures/pypinksign')

/** 1,000 certificate folders spread over `rootCount` roots and three CA folders. */
function makeTree(rootCount: number): { roots: NpkiRoot[]; certFiles: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certmgr-bench-scan-'))
  const roots: NpkiRoot[] = []
  const certFiles: string[] = []
  for (let r = 0; r < rootCount; r++) roots.push({ path: join(dir, `root${r}`, 'NPKI'), source: 'env', location: 'pc' })
  for (let i = 0; i < 1000; i++) {
    const root = roots[i % rootCount]!
    const folder = join(root.path, ['yessign', 'KICA', 'SignKorea'][i % 3]!, 'USER', `cn=user${i}()00${i},ou=bench,o=yessign,c=kr`)
    mkdirSync(folder, { recursive: true })
    copyFileSync(join(PINK, 'signCert.der'), join(folder, 'signCert.der'))
    copyFileSync(join(PINK, 'signPri.key'), join(folder, 'signPri.key'))
    certFiles.push(join(folder, 'signCert.der'))
  }
  return { roots, certFiles, dir }
}

const suite: BenchSuite = async () => {
  const rows = []
  for (const rootCount of [1, 3]) {
    const { roots, certFiles, dir } = makeTree(rootCount)
    const reference = await medianMs(15, () => {
      for (const f of certFiles) new X509Certificate(readFileSync(f))
    })
    const ours = await medianMs(15, () => {
      const { certs } = scanRoots(roots)
      if (certs.length !== 1000) throw new Error(`expected 1000 certificates, found ${certs.length}`)
    })
    rows.push(timeRow(`list 1,000 certificates over ${rootCount} root${rootCount > 1 ? 's' : ''} vs bare X509Certificate loop`, ours, reference, 1.5))
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
export default suite
