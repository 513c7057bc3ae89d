import { ModelLoadError } from './model-load-error'
import type { PipelineFamily } from './model-index'
import type { GraphSignature } from './graph-signature'

/** How to feed and read a UNet graph, worked out from its metadata at load time. */
export interface UnetIo {
  /** Output holding the noise (or v) prediction: `out_sample`, or the graph's only output. */
  output: string
  /** SDXL's added conditioning inputs (`text_embeds`, `time_ids`) are present. */
  hasTextTime: boolean
  /** The graph takes `timestep_cond` (LCM-distilled UNets). */
  hasTimestepCond: boolean
  /** Size of `timestep_cond`'s last axis when the graph fixes it. */
  timestepCondDim: number | null
  /** Latent channels when the graph fixes `sample`'s axis 1. */
  inChannels: number | null
  /** Axis-0 size of `sample` when the graph fixes it (null: any batch). */
  fixedBatch: number | null
  /** Inputs that carry one row per batch item and must agree with `sample`'s batch. */
  batchInputs: string[]
}

const BASE_INPUTS = ['sample', 'timestep', 'encoder_hidden_states'] as const
const TEXT_TIME_INPUTS = ['text_embeds', 'time_ids'] as const

/**
 * Checks a UNet graph against what the pipeline of `family` feeds: `sample`, `timestep`,
 * `encoder_hidden_states`, SDXL's `text_embeds` + `time_ids`, optionally `timestep_cond`.
 * A missing input, an input the pipeline cannot feed, or an unsupported element type is a
 * {@link ModelLoadError} naming it.
 */
export function describeUnet(model: GraphSignature, family: PipelineFamily): UnetIo {
  const label = model.label
  for (const name of BASE_INPUTS) {
    if (!model.inputs.has(name)) {
      throw new ModelLoadError(
        model.path,
        `${label} has no "${name}" input (its inputs: ${model.inputNames.join(', ')}); a UNet needs ${BASE_INPUTS.join(', ')}`
      )
    }
  }
  const hasTextTime = TEXT_TIME_INPUTS.some((n) => model.inputs.has(n))
  if (family === 'sdxl' && !TEXT_TIME_INPUTS.every((n) => model.inputs.has(n))) {
    throw new ModelLoadError(
      model.path,
      `${label} lacks the SDXL inputs text_embeds and time_ids (its inputs: ${model.inputNames.join(', ')}), but model_index.json names an SDXL pipeline`
    )
  }
  if (family === 'sd' && hasTextTime) {
    throw new ModelLoadError(
      model.path,
      `${label} takes text_embeds/time_ids (an SDXL UNet), but model_index.json names a Stable Diffusion 1.x/2.x pipeline`
    )
  }
  const known = new Set<string>([...BASE_INPUTS, ...TEXT_TIME_INPUTS, 'timestep_cond'])
  for (const name of model.inputNames) {
    if (!known.has(name)) {
      throw new ModelLoadError(
        model.path,
        `${label} has an input "${name}" that Stepwise cannot feed (known UNet inputs: ${[...known].join(', ')})`
      )
    }
  }
  model.requireInputType('sample', ['float32', 'float16'])
  model.requireInputType('timestep', ['float32', 'float16', 'int64', 'int32'])
  model.requireInputType('encoder_hidden_states', ['float32', 'float16'])
  if (hasTextTime) {
    model.requireInputType('text_embeds', ['float32', 'float16'])
    model.requireInputType('time_ids', ['float32', 'float16'])
  }
  const hasTimestepCond = model.inputs.has('timestep_cond')
  let timestepCondDim: number | null = null
  if (hasTimestepCond) {
    model.requireInputType('timestep_cond', ['float32', 'float16'])
    const last = model.input('timestep_cond').shape.at(-1)
    timestepCondDim = typeof last === 'number' ? last : null
  }
  const outputs = model.outputNames
  const output = outputs.includes('out_sample')
    ? 'out_sample'
    : outputs.length === 1
      ? outputs[0]
      : undefined
  if (output === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "out_sample" output and more than one output (${outputs.join(', ')}); cannot tell which is the prediction`
    )
  }
  model.requireFloatOutput(output)
  const channels = model.input('sample').shape[1]
  const batchInputs = ['sample', 'encoder_hidden_states']
  if (hasTextTime) batchInputs.push(...TEXT_TIME_INPUTS)
  if (hasTimestepCond) batchInputs.push('timestep_cond')
  return {
    output,
    hasTextTime,
    hasTimestepCond,
    timestepCondDim,
    inChannels: typeof channels === 'number' ? channels : null,
    fixedBatch: model.fixedBatch('sample'),
    batchInputs
  }
}
