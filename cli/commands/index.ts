import type { Command } from '../command'

/** The commands of one file, with their names known before the file is loaded. */
export interface CommandGroup {
  names: readonly string[]
  load(): Promise<Command[]>
}

// Each capability contributes its commands from its own file, loaded only when one of its
// commands runs: `certmgr list` does not pay for the center, CMP, tokens or the phone copy
// (index.test.ts checks that the names here are exactly those the files define).
export const commandGroups: CommandGroup[] = [
  { names: ['center serve'], load: async () => (await import('./center-serve')).centerServeCommands },
  { names: ['center backup', 'center restore'], load: async () => (await import('./center-backup')).centerBackupCommands },
  { names: ['list', 'show'], load: async () => (await import('./certs')).certsCommands },
  { names: ['issue', 'reissue', 'renew', 'revoke'], load: async () => (await import('./enroll')).enrollCommands },
  {
    names: ['center customer add', 'center customer unlock', 'center codes', 'center card', 'center otp', 'center outbox', 'center trust add', 'center trust list', 'center trust remove'],
    load: async () => (await import('./center-ra')).centerRaCommands,
  },
  { names: ['passwd', 'verify-id'], load: async () => (await import('./keys')).keysCommands },
  { names: ['export-pfx', 'import-pfx'], load: async () => (await import('./pfx')).pfxCommands },
  {
    names: ['drives', 'copy', 'move', 'delete', 'trash list', 'trash restore', 'token slots', 'token unlock', 'token list', 'token import', 'token delete', 'token keygen'],
    load: async () => (await import('./storage')).storageCommands,
  },
  { names: ['transfer send', 'transfer receive'], load: async () => (await import('./transfer')).transferCommands },
]

/** Every command, in the order `certmgr help` lists them. */
export async function loadAllCommands(): Promise<Command[]> {
  return (await Promise.all(commandGroups.map((g) => g.load()))).flat()
}
