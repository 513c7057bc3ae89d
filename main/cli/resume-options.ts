import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CfgInterval } from '../../shared/params'
import { numberOrText } from './parse-flags'
import { UsageError } from './usage-error'

/**
 * Checks of the CLI's run-state flags that need no model: `--save-state FILE`, `--resume FILE`
 * (read later, by main/cli/resume-run.ts, with the engine loaded), and the guidance interval as
 * `--cfg-interval A:B` (shares of the run) or `--cfg-interval-steps I:J` (step indices).
 */

/** Checks `--resume FILE`: an existing file. */
export function checkResumeFile(file: string): string {
  const path = resolve(file)
  if (!existsSync(path)) throw new UsageError(`--resume: no such file ${JSON.stringify(file)}`)
  if (statSync(path).isDirectory()) {
    throw new UsageError(`--resume: ${JSON.stringify(file)} is a folder, not a saved run state`)
  }
  return path
}

/** Checks `--save-state FILE`: a file name, not a folder. */
export function checkSaveState(file: string): string {
  if (file.trim() === '') throw new UsageError('--save-state: needs a file name')
  const path = resolve(file)
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError(`--save-state: ${JSON.stringify(file)} is a folder; give a file name`)
  }
  return path
}

/**
 * `A:B` as an interval for the schema to check: shares of the run for `--cfg-interval`, step
 * indices for `--cfg-interval-steps`. A value of another form is refused here with an example.
 */
export function parseIntervalFlag(
  value: string,
  flag: 'cfg-interval' | 'cfg-interval-steps'
): CfgInterval {
  const parts = value.split(':')
  const [a, b] = parts.map((p) => numberOrText(p))
  if (parts.length !== 2 || typeof a !== 'number' || typeof b !== 'number') {
    const example = flag === 'cfg-interval' ? '0.2:0.8' : '5:30'
    throw new UsageError(
      `--${flag}: must be START:END, e.g. ${example} (got ${JSON.stringify(value)})`
    )
  }
  return (
    flag === 'cfg-interval'
      ? { startRatio: a, endRatio: b }
      : { startStepIndex: a, endStepIndex: b }
  ) as CfgInterval
}
