import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CfgInterval } from '../../shared/params'
import { parseRunSnapshot, RunSnapshotError } from '../engine'
import type { RunSnapshot } from '../engine'
import type { GenerationRequest } from '../inference/protocol'
import { numberOrText } from './parse-flags'
import { UsageError } from './usage-error'

/**
 * The CLI's run-state flags: `--resume FILE` (continue or branch from a saved run state),
 * `--save-state FILE`, and the guidance interval as `--cfg-interval A:B` (shares of the run) or
 * `--cfg-interval-steps I:J` (step indices).
 */

/** A run state read from `--resume`, and the request of the run that saved it. */
export interface ResumeSource {
  path: string
  snapshot: RunSnapshot
  /** The parent's request as its snapshot keeps it (empty for a state saved by another program). */
  parent: Partial<GenerationRequest>
}

/** Reads and checks `--resume FILE`. */
export function readResume(file: string): ResumeSource {
  const path = resolve(file)
  if (!existsSync(path)) throw new UsageError(`--resume: no such file ${JSON.stringify(file)}`)
  if (statSync(path).isDirectory()) {
    throw new UsageError(`--resume: ${JSON.stringify(file)} is a folder, not a saved run state`)
  }
  let snapshot: RunSnapshot
  try {
    snapshot = parseRunSnapshot(new Uint8Array(readFileSync(path)), JSON.stringify(file))
  } catch (error) {
    if (error instanceof RunSnapshotError) throw new UsageError(`--resume: ${error.message}`)
    throw error
  }
  const meta = snapshot.meta.request
  const parent =
    meta !== null && typeof meta === 'object' ? (meta as Partial<GenerationRequest>) : {}
  return { path, snapshot, parent }
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

/** The flags a resumed run keeps from its parent, with the parent's value and its name. */
const KEPT_FLAGS: readonly [string, keyof GenerationRequest, string][] = [
  ['steps', 'numInferenceSteps', 'steps'],
  ['width', 'width', 'size'],
  ['height', 'height', 'size'],
  ['scheduler', 'scheduler', 'scheduler'],
  ['algorithm-type', 'algorithmType', 'scheduler settings'],
  ['seed', 'seed', 'random state (its seed)']
]

/**
 * Refuses flags that would change what a resumed run keeps (size, steps, scheduler, seed): a
 * value equal to the parent's is accepted, another one says what stays.
 */
export function checkResumeFlags(
  given: Readonly<Record<string, unknown>>,
  parent: Partial<GenerationRequest>
): void {
  for (const [flag, key, what] of KEPT_FLAGS) {
    const asked = given[key]
    const had = parent[key]
    if (asked === undefined || had === undefined || asked === had) continue
    throw new UsageError(
      `--${flag}: a resumed run keeps the ${what} of the run it continues (${JSON.stringify(had)}); only --prompt, --negative-prompt, --guidance, the CFG cutoff and --cfg-interval may change`
    )
  }
  if (given.useKarrasSigmas === true && parent.useKarrasSigmas === false) {
    throw new UsageError(
      '--karras: a resumed run keeps the scheduler settings of the run it continues (it ran without Karras sigmas)'
    )
  }
}
