import { ModelLoadError } from './model-load-error'
import type { GraphSignature } from './graph-signature'

/** How to feed and read a VAE decoder graph. */
export interface VaeDecoderIo {
  /** `latent_sample`, or the graph's only input. */
  input: string
  /** `sample`, or the graph's only output. */
  output: string
  /** Axis-0 size of the input when the graph fixes it (then images are decoded in chunks). */
  fixedBatch: number | null
  /** The decoder runs in float16 (relevant for `force_upcast` VAEs). */
  float16: boolean
}

/** Works out a VAE decoder's I/O, with load errors naming what is wrong. */
export function describeVaeDecoder(model: GraphSignature): VaeDecoderIo {
  const label = model.label
  const inputs = model.inputNames
  const input = inputs.includes('latent_sample')
    ? 'latent_sample'
    : inputs.length === 1
      ? inputs[0]
      : undefined
  if (input === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "latent_sample" input and more than one input (${inputs.join(', ')})`
    )
  }
  model.requireInputType(input, ['float32', 'float16'])
  const outputs = model.outputNames
  const output = outputs.includes('sample')
    ? 'sample'
    : outputs.length === 1
      ? outputs[0]
      : undefined
  if (output === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "sample" output and more than one output (${outputs.join(', ')})`
    )
  }
  model.requireFloatOutput(output)
  return {
    input,
    output,
    fixedBatch: model.fixedBatch(input),
    float16: model.input(input).type === 'float16'
  }
}
