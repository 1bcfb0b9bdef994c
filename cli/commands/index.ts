import type { Command } from '../command'
import { centerServeCommands } from './center-serve'
import { certsCommands } from './certs'
import { enrollCommands } from './enroll'
import { centerRaCommands } from './center-ra'
import { keysCommands } from './keys'
import { pfxCommands } from './pfx'
import { storageCommands } from './storage'
import { transferCommands } from './transfer'

// Each capability contributes its commands from its own file.
export const commands: Command[] = [
  ...centerServeCommands,
  ...certsCommands,
  ...enrollCommands,
  ...centerRaCommands,
  ...keysCommands,
  ...pfxCommands,
  ...storageCommands,
  ...transferCommands,
]
