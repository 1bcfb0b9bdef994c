import { expect } from 'vitest'
import { CertError } from '../../shared/errors'

/** The CertError a promise is rejected with; the test fails if it resolves or rejects with anything else. */
export async function certErrorOf(p: Promise<unknown>): Promise<CertError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(CertError)
  return err as CertError
}
