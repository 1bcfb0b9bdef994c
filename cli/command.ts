import type { ParseArgsConfig } from 'node:util'
import type { ToolRunner } from '../core/drives/types'
import { systemRootPolicy, type RootPolicy } from '../core/roots/root-policy'
import { defaultDataDir } from '../core/settings/paths'
import { SettingsStore } from '../core/settings/settings-store'

/** What a command may do with the outside world; tests pass their own. */
export interface CliIO {
  out(text: string): void
  err(text: string): void
  /** Reads a secret from a file path, or standard input for '-'. Trailing CR/LF is dropped. */
  readSecret(pathOrDash: string): Promise<string>
  /**
   * Asks one question on standard error and reads the answer, one line, from standard input
   * (the RA's SMS code and security-card answer during `certmgr renew`). Absent where no
   * terminal conversation is possible.
   */
  ask?(question: string): Promise<string>
  /**
   * Shows how far a long operation is, on one line of standard error that the next status
   * replaces ('' clears it). Present only when standard error is a terminal, so scripts and
   * pipes see exactly what they saw before; standard output never carries it.
   */
  status?(text: string): void
  /** Calls `handler` on Ctrl-C while a long operation runs (it cancels it); returns the unsubscribe. */
  onInterrupt?(handler: () => void): () => void
}

/**
 * What every command shares for one run, built once by `main`: the root policy (which folders
 * are NPKI roots, what a `--root DIR` names, what is followed), the same rules the app uses.
 */
export interface CliContext {
  roots: RootPolicy
}

/**
 * Built the way the app builds its policy (systemRootPolicy): the OS's folders, the extra
 * roots of the app's settings (the data folder resolved as the app resolves it,
 * `defaultDataDir`, so CERTMGR_DATA_DIR counts), and the drives; the drives are asked of the OS
 * only when a command first needs them, so `list --root DIR`, `copy` and the like never spawn
 * lsblk. `driveTool` runs the drive listing tool (tests feed a saved output).
 */
export function cliContext(env: NodeJS.ProcessEnv = process.env, opts: { driveTool?: ToolRunner; platform?: NodeJS.Platform } = {}): CliContext {
  return { roots: systemRootPolicy({ env, settings: new SettingsStore(defaultDataDir(env)), ...opts }) }
}

export interface ParsedArgs {
  positionals: string[]
  values: Record<string, string | boolean | string[] | undefined>
}

/**
 * A `certmgr` command. `name` may have two words ("token list"). Exit codes: 0 success,
 * 1 a check failed (wrong password, identity mismatch), 2 bad usage or bad input.
 */
export interface Command {
  name: string
  usage: string
  summary: string
  options: NonNullable<ParseArgsConfig['options']>
  run(args: ParsedArgs, io: CliIO, ctx: CliContext): Promise<number>
}

/** Thrown for bad usage; printed as one line, exit 2. */
export class UsageError extends Error {}

/**
 * Refuses two secret files read from standard input: the second read would get nothing.
 * `files` maps each option to its value, e.g. { '--password-file': F, '--idn-file': I }.
 */
export function oneStdinAtMost(files: Record<string, string | undefined>): void {
  const dashes = Object.entries(files).filter(([, v]) => v === '-')
  if (dashes.length > 1) throw new UsageError(`only one of ${Object.keys(files).join(' and ')} can be standard input`)
}

export function requireString(args: ParsedArgs, name: string): string {
  const v = args.values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`)
  return v
}

export function optionalString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name]
  return typeof v === 'string' ? v : undefined
}

export function requirePositional(args: ParsedArgs, index: number, what: string): string {
  const v = args.positionals[index]
  if (!v) throw new UsageError(`missing ${what}`)
  return v
}
