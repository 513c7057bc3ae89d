import type { Tensor } from 'onnxruntime-node'
import type { Generator } from '../random/generator'
import { randnTensor } from '../random/randn-tensor'
import { scaleTensor } from '../tensor/elementwise'
import { formatDims, isTensor, sameDims } from '../tensor/float-tensor'
import { checkNumber } from './check-inputs'
import type { CallOptions, OutputType } from './pipeline-types'
import { showValue } from './describe-value'

/** A call's options with the model's defaults filled in (what its snapshot records). */
export interface ResolvedOptions {
  numInferenceSteps: number
  guidanceScale: number
  guidanceRescale: number
  numImagesPerPrompt: number
  height: number
  width: number
}

const OUTPUT_TYPES: readonly OutputType[] = ['image', 'latent']

/**
 * Stepwise's checks of the numeric and typed options diffusers leaves to fail later (a step count
 * of 0, a NaN guidance scale, an unknown output type), run before any model.
 */
export function checkCallOptions(o: CallOptions, resolved: ResolvedOptions): void {
  checkNumber('numInferenceSteps', resolved.numInferenceSteps, 'positive-integer')
  checkNumber('guidanceScale', resolved.guidanceScale, 'finite')
  checkNumber('guidanceRescale', resolved.guidanceRescale, 'finite')
  checkNumber('numImagesPerPrompt', resolved.numImagesPerPrompt, 'positive-integer')
  checkNumber('height', resolved.height, 'positive-integer')
  checkNumber('width', resolved.width, 'positive-integer')
  if (o.eta !== undefined) checkNumber('eta', o.eta, 'finite')
  if (o.clipSkip !== undefined && o.clipSkip !== null)
    checkNumber('clipSkip', o.clipSkip, 'non-negative-integer')
  if (o.outputType !== undefined && !OUTPUT_TYPES.includes(o.outputType)) {
    throw new Error(
      `outputType must be ${OUTPUT_TYPES.map(showValue).join(' or ')}, but is ${showValue(o.outputType)}`
    )
  }
  if (o.latents !== undefined && o.latents !== null && !isTensor(o.latents)) {
    throw new TypeError(`latents must be an onnxruntime Tensor, but is ${showValue(o.latents)}`)
  }
  if (o.onStepEnd !== undefined && typeof o.onStepEnd !== 'function')
    throw new TypeError('onStepEnd must be a function')
  if (o.onPhase !== undefined && typeof o.onPhase !== 'function')
    throw new TypeError('onPhase must be a function')
}

/** diffusers' `prepare_latents` check: a generator list needs one generator per image. */
export function checkGenerators(
  generator: Generator | Generator[] | null | undefined,
  batchSize: number
): void {
  if (Array.isArray(generator) && generator.length !== batchSize) {
    throw new Error(
      `generator is a list of ${generator.length} generator${generator.length === 1 ? '' : 's'}, but the call makes ${batchSize} images (prompts × numImagesPerPrompt); give one generator per image, or a single one`
    )
  }
}

/** The refusal of start latents of the wrong shape. */
export function latentsShapeMessage(given: readonly number[], expected: readonly number[]): string {
  return `latents must have the shape ${formatDims(expected)} (images × channels × height/8 × width/8 for this call), but have ${formatDims(given)}`
}

/**
 * diffusers' `prepare_latents`: Gaussian noise of the whole `[B, C, h/8, w/8]` shape from the
 * generator (or one draw per image from a list of generators), or the caller's latents, then
 * multiplied by the scheduler's `init_noise_sigma`.
 */
export function prepareLatents(
  shape: readonly number[],
  generator: Generator | Generator[] | null | undefined,
  given: Tensor | null | undefined,
  initNoiseSigma: number
): Tensor {
  let noise: Tensor
  if (given !== null && given !== undefined) {
    if (!sameDims(given.dims, shape)) {
      throw new Error(latentsShapeMessage(given.dims, shape))
    }
    noise = given
  } else {
    noise = randnTensor(shape, generator === null || generator === undefined ? {} : { generator })
  }
  return scaleTensor(noise, initNoiseSigma)
}
