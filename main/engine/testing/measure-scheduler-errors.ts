/**
 * Prints the worst per-step error of every scheduler / config variant / step count against the
 * diffusers reference fixtures (relative to the reference tensor's max |x|):
 *
 *     npx tsx main/engine/testing/measure-scheduler-errors.ts [ClassName ...]
 */
import { SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import { createScheduler } from '../schedulers'
import { loadSchedulerReference, replayRun } from './scheduler-reference-trajectories'

const names = process.argv.length > 2 ? process.argv.slice(2) : [...SCHEDULER_CLASS_NAMES]
const rows: string[] = [
  '| scheduler | variant | steps | prev | x0 / denoised | noised (TCD) | scaled input | final |'
]
rows.push('|---|---|---|---|---|---|---|---|')
const fmt = (v: number): string => (v === 0 ? '0' : v.toExponential(1))
for (const name of names) {
  const reference = loadSchedulerReference(name)
  for (const variant of reference.variants) {
    for (const run of variant.runs) {
      if (run.error !== undefined) continue
      const scheduler = createScheduler(
        name as (typeof SCHEDULER_CLASS_NAMES)[number],
        variant.input
      )
      scheduler.setTimesteps(run.steps)
      const e = replayRun(scheduler, run, reference, variant, 5e-5)
      rows.push(
        `| ${name} | ${variant.name} | ${run.steps} | ${fmt(e.prev)} | ${fmt(e.x0)} | ${fmt(e.noised)} | ${fmt(e.input)} | ${run.final === undefined ? '' : fmt(e.final)} |`
      )
    }
  }
}
console.log(rows.join('\n'))
