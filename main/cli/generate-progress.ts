import type { InferenceStep } from '../inference/protocol'

/** One step's progress line on stderr. */
export function formatStep(step: InferenceStep): string {
  const guidance = step.cfg ? `cfg ${step.guidanceScale}` : 'no cfg'
  const preview =
    step.previewMethod === undefined
      ? ''
      : `  preview ${step.previewMethod} ${(step.previewMs ?? 0).toFixed(1)} ms`
  const calls =
    step.unetCalls !== undefined && step.unetCalls > 1 ? ` in ${step.unetCalls} calls` : ''
  return `step ${step.index + 1}/${step.total}  t=${step.timestep}  ${step.ms.toFixed(0)} ms  unet batch ${step.unetBatch}${calls} (${guidance})${preview}`
}

/** "Loading UNet…" as the CLI's other progress lines start: "loading UNet…". */
export function lowerFirst(line: string): string {
  return line.charAt(0).toLowerCase() + line.slice(1)
}
