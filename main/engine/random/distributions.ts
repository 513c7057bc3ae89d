import { Tensor } from 'onnxruntime-node'
import type { Generator } from './generator'
import { getDefaultGenerator } from './generator'

/** Options of {@link randn} and {@link rand}. */
export interface RandomOptions {
  /** The generator to draw from; the process-wide default generator when absent. */
  generator?: Generator
}

const TWO_PI = 2 * Math.PI
const f32 = Math.fround

/** Checks a shape and returns its element count. */
export function shapeSize(dims: readonly number[], caller: string): number {
  let size = 1
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(
        `${caller}: dims must be non-negative integers (got [${dims.map(String).join(', ')}])`
      )
    }
    size *= d
  }
  if (size > 2 ** 31 - 1) {
    throw new Error(`${caller}: ${size} elements are too many (at most 2^31 - 1)`)
  }
  return size
}

/**
 * Fills `out` with torch's float32 normals from `generator`, exactly as `normal_` on a contiguous
 * float32 CPU tensor does: below 16 values one `normal_distribution<double>` draw per value (which
 * uses and refills the generator's cached Box–Muller value); from 16 on, a float32 uniform fill
 * transformed 16 at a time, the last 16 redrawn when the size is not a multiple of 16.
 */
export function fillNormal(out: Float32Array, generator: Generator): void {
  const size = out.length
  if (size < 16) {
    for (let i = 0; i < size; i++) out[i] = generator.nextNormalDouble()
    return
  }
  for (let i = 0; i < size; i++) out[i] = generator.nextFloat()
  for (let i = 0; i + 16 <= size; i += 16) boxMuller16(out, i)
  if (size % 16 !== 0) {
    const start = size - 16
    for (let i = 0; i < 16; i++) out[start + i] = generator.nextFloat()
    boxMuller16(out, start)
  }
}

// torch's normal_fill_16: u1 from the first 8 values, u2 from the next 8, single-precision maths
// except theta, which torch forms in double (2.0f * pi<double> * u2) before rounding to float.
function boxMuller16(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - (data[offset + j] as number))
    const u2 = data[offset + j + 8] as number
    const radius = f32(Math.sqrt(f32(-2 * f32(Math.log(u1)))))
    const theta = f32(TWO_PI * u2)
    data[offset + j] = f32(radius * f32(Math.cos(theta)))
    data[offset + j + 8] = f32(radius * f32(Math.sin(theta)))
  }
}

/**
 * Standard normal float32 tensor, the same numbers as
 * `torch.randn(dims, generator=generator)` on the CPU (bit-exact below 16 values, within a few
 * float32 ulps from 16 on, where torch may use vectorised transcendental functions).
 */
export function randn(dims: readonly number[], options: RandomOptions = {}): Tensor {
  const size = shapeSize(dims, 'randn')
  const data = new Float32Array(size)
  fillNormal(data, options.generator ?? getDefaultGenerator())
  return new Tensor('float32', data, [...dims])
}

/** Uniform [0, 1) float32 tensor, bit-exact with `torch.rand(dims, generator=generator)` on the CPU. */
export function rand(dims: readonly number[], options: RandomOptions = {}): Tensor {
  const size = shapeSize(dims, 'rand')
  const generator = options.generator ?? getDefaultGenerator()
  const data = new Float32Array(size)
  for (let i = 0; i < size; i++) data[i] = generator.nextFloat()
  return new Tensor('float32', data, [...dims])
}
