import { ModelLoadError } from './model-load-error'
import type { GraphSignature } from './graph-signature'

/** How to feed and read a VAE encoder graph. */
export interface VaeEncoderIo {
  /** `sample`, or the graph's only input. */
  input: string
  /** `latent_parameters` (mean ‖ log-variance), `latent_sample`, or the graph's only output. */
  output: string
  /**
   * `parameters`: the output is diffusers' `latent_dist.parameters` (2 × latent channels), so the
   * pipeline samples from the call's generator as diffusers does; `sample`: the graph samples (or
   * takes the mean) itself, as diffusers' legacy ONNX converter exported it, and its output is used
   * as it is.
   */
  kind: 'parameters' | 'sample'
  /** Axis-0 size of the input when the graph fixes it (then images are encoded in chunks). */
  fixedBatch: number | null
}

/** Works out a VAE encoder's I/O, with load errors naming what is wrong. */
export function describeVaeEncoder(model: GraphSignature): VaeEncoderIo {
  const label = model.label
  const inputs = model.inputNames
  const input = inputs.includes('sample') ? 'sample' : inputs.length === 1 ? inputs[0] : undefined
  if (input === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has no "sample" input and more than one input (${inputs.join(', ')})`
    )
  }
  model.requireInputType(input, ['float32', 'float16'])
  const outputs = model.outputNames
  const output = outputs.includes('latent_parameters')
    ? 'latent_parameters'
    : outputs.includes('latent_sample')
      ? 'latent_sample'
      : outputs.length === 1
        ? outputs[0]
        : undefined
  if (output === undefined) {
    throw new ModelLoadError(
      model.path,
      `${label} has neither a "latent_parameters" nor a "latent_sample" output, and more than one output (${outputs.join(', ')})`
    )
  }
  model.requireFloatOutput(output)
  return {
    input,
    output,
    kind: output === 'latent_sample' ? 'sample' : 'parameters',
    fixedBatch: model.fixedBatch(input)
  }
}
