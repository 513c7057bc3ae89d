import { Tensor } from 'onnxruntime-node'
import { fillNormal, shapeSize } from './distributions'
import { Generator, getDefaultGenerator } from './generator'

/** Options of {@link randnTensor}. */
export interface RandnTensorOptions {
  /**
   * One generator for the whole tensor, or one per batch item (diffusers' list of generators:
   * item `i` is drawn as a `[1, ...rest]` tensor from `generator[i]`). Default generator if absent.
   */
  generator?: Generator | readonly Generator[]
}

function isGeneratorLike(value: unknown): value is Generator {
  // instanceof first; the method check accepts a Generator from a second copy of the package.
  return (
    value instanceof Generator ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Partial<Generator>).manualSeed === 'function' &&
      typeof (value as Partial<Generator>).nextNormalDouble === 'function')
  )
}

/** The generator(s) of `randnTensor`'s second argument, whichever form it took. */
function generatorArgument(
  second: Generator | readonly Generator[] | RandnTensorOptions | null | undefined
): Generator | readonly Generator[] | undefined {
  if (second === undefined || second === null) return undefined
  if (Array.isArray(second)) {
    second.forEach((g: unknown, i) => {
      if (!isGeneratorLike(g)) {
        throw new TypeError(`randnTensor: generator[${i}] is not a Generator`)
      }
    })
    return second
  }
  if (isGeneratorLike(second)) return second
  if (typeof second !== 'object') {
    throw new TypeError(
      `randnTensor: the second argument must be a Generator, a list of Generators or { generator } (got ${typeof second})`
    )
  }
  const { generator } = second as RandnTensorOptions
  if (generator === undefined || generator === null) return undefined
  if (!Array.isArray(generator) && !isGeneratorLike(generator)) {
    throw new TypeError('randnTensor: options.generator is not a Generator')
  }
  return generatorArgument(generator as Generator | readonly Generator[])
}

/**
 * diffusers' `randn_tensor` for CPU generators: the initial latents `[B, C, H, W]` (or any shape)
 * drawn exactly as diffusers draws them, so a seed gives diffusers' latents. With one generator the
 * whole shape is drawn in one `torch.randn` call; with a list, one call per batch item.
 *
 * The generator may be passed positionally, as diffusers' `randn_tensor(shape, generator)` is
 * called, or as `{ generator }`; without one the default generator is used.
 */
export function randnTensor(
  shape: readonly number[],
  generatorOrOptions?: Generator | readonly Generator[] | RandnTensorOptions | null
): Tensor {
  const size = shapeSize(shape, 'randnTensor')
  const data = new Float32Array(size)
  const generator = generatorArgument(generatorOrOptions)
  if (Array.isArray(generator) && generator.length !== 1) {
    const batch = shape[0]
    if (batch === undefined || generator.length !== batch) {
      throw new Error(
        `randnTensor: got ${generator.length} generators for a batch of ${String(batch ?? 'none')}; ` +
          'pass one generator, or exactly one per batch item'
      )
    }
    const itemSize = batch === 0 ? 0 : size / batch
    generator.forEach((g: Generator, i: number) => {
      fillNormal(data.subarray(i * itemSize, (i + 1) * itemSize), g)
    })
  } else {
    const single: Generator | undefined = Array.isArray(generator)
      ? (generator[0] as Generator)
      : (generator as Generator | undefined)
    fillNormal(data, single ?? getDefaultGenerator())
  }
  return new Tensor('float32', data, [...shape])
}
