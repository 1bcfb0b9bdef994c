import type { CliIO } from '../command'
import type { Trash } from '../../core/storage/trash'
import type { SessionOptions, TokenRef } from '../../core/token/pkcs11'
import { recoverRenewals, settleTokenRenewals, type RenewalJournal } from '../../core/usecases/renewal-journal'

/**
 * Settles what an earlier run left open (the same core functions the app runs at start) and
 * says so on stderr: a folder's renewal is settled now; a token's waits for its PIN, so the
 * user is told which token and how to open it.
 */
export async function recoverAndReport(journal: RenewalJournal, trash: Trash, io: CliIO): Promise<void> {
  for (const r of await recoverRenewals(journal, trash)) {
    if ('folder' in r) {
      if (r.outcome !== 'unknown') io.err(`settled an earlier renewal of ${r.folder}: the center keeps the ${r.outcome} certificate`)
      else io.err(`an earlier renewal of ${r.folder} is still pending: its center cannot say yet which certificate it keeps`)
    } else {
      io.err(`an earlier renewal on token ${r.token.label} (serial ${r.token.serial}) is pending; it is settled when the token is opened with its PIN (certmgr token list --token ${r.token.label} --pin-file F)`)
    }
  }
}

/** Settles the open renewals of one token now that its PIN was given, and reports each. */
export async function settleTokenAndReport(journal: RenewalJournal, ref: TokenRef, pin: string, session: SessionOptions, io: CliIO): Promise<void> {
  for (const r of await settleTokenRenewals(journal, ref, pin, session)) {
    if (r.outcome === 'unknown') io.err(`an earlier renewal on token ${r.token.label} is still pending: its center cannot say yet which certificate it keeps`)
    else io.err(`settled an earlier renewal on token ${r.token.label}: the center keeps the ${r.outcome} certificate (removed the key pair ${r.outcome === 'new' ? r.oldIdHex : r.newIdHex})`)
  }
}
