import { assembleKernels, lanes, type ElementwiseKernel } from './wasm-assembler'

/**
 * The element-wise float32 arithmetic of every denoising step (guidance, the model input's
 * scaling, Euler's step), run four lanes at a time in WebAssembly SIMD. Scalar JavaScript
 * rounds each operation to float32 with `Math.fround` around double arithmetic, about 2 ns an
 * element here; the SIMD lanes do the same IEEE float32 operations natively, in a tenth of the
 * time even with the copies in and out of the module's memory. Float32 addition, subtraction,
 * multiplication and division give the same bits whichever way they are computed (a double
 * result rounded once to float32 is the float32 result), so both paths agree bit for bit; the
 * scalar one is kept for runtimes without SIMD and as the tests' reference.
 */

/** The kernels' contract: what each computes, element by element, in float32. */
export interface Float32Kernels {
  /** `uncond[i] ← uncond[i] + g · (cond[i] − uncond[i])`, over the first half of `data`. */
  guideHalvesInPlace(data: Float32Array, guidanceScale: number): void
  /** `src[i] / divisor` into a new array. */
  divide(src: Float32Array, divisor: number): Float32Array
  /**
   * Euler's step for an epsilon prediction: `x0 = s − σ̂·ε`, `prev = s + ((s − x0) / σ̂) · dt`.
   * `sigmaHat` and `dt` must be float32 values.
   */
  eulerEpsilon(
    modelOutput: Float32Array,
    sample: Float32Array,
    sigmaHat: number,
    dt: number
  ): { x0: Float32Array; prev: Float32Array }
}

const f32 = Math.fround

/** The same arithmetic in scalar JavaScript: the fallback, and the reference the tests use. */
export const scalarKernels: Float32Kernels = {
  guideHalvesInPlace(data, guidanceScale) {
    const half = data.length / 2
    const g = f32(guidanceScale)
    for (let i = 0; i < half; i++) {
      const u = data[i] as number
      data[i] = u + f32(g * f32((data[half + i] as number) - u))
    }
  },
  divide(src, divisor) {
    const out = new Float32Array(src.length)
    const d = f32(divisor)
    for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) / d
    return out
  },
  eulerEpsilon(m, s, sigmaHat, dt) {
    const x0 = new Float32Array(s.length)
    const prev = new Float32Array(s.length)
    for (let i = 0; i < s.length; i++) {
      const si = s[i] as number
      const x = f32(si - f32(sigmaHat * (m[i] as number)))
      x0[i] = x
      prev[i] = si + f32(f32(f32(si - x) / sigmaHat) * dt)
    }
    return { x0, prev }
  }
}

const KERNELS: ElementwiseKernel[] = [
  {
    name: 'guide',
    arrays: 2,
    scalars: 1,
    temps: 1,
    body: ({ load, scalar, local }) => [
      { set: 0, value: load(0) },
      {
        store: 0,
        value: lanes('add', local(0), lanes('mul', scalar(0), lanes('sub', load(1), local(0))))
      }
    ]
  },
  {
    name: 'divide',
    arrays: 2,
    scalars: 1,
    temps: 0,
    body: ({ load, scalar }) => [{ store: 1, value: lanes('div', load(0), scalar(0)) }]
  },
  {
    // arrays: ε, s, x0, prev; scalars: σ̂, dt
    name: 'eulerEpsilon',
    arrays: 4,
    scalars: 2,
    temps: 2,
    body: ({ load, scalar, local }) => [
      { set: 0, value: load(1) },
      { set: 1, value: lanes('sub', local(0), lanes('mul', scalar(0), load(0))) },
      { store: 2, value: local(1) },
      {
        store: 3,
        value: lanes(
          'add',
          local(0),
          lanes('mul', lanes('div', lanes('sub', local(0), local(1)), scalar(0)), scalar(1))
        )
      }
    ]
  }
]

interface KernelExports {
  memory: WebAssembly.Memory
  guide(uncond: number, cond: number, bytes: number, g: number): void
  divide(src: number, out: number, bytes: number, d: number): void
  eulerEpsilon(
    m: number,
    s: number,
    x0: number,
    prev: number,
    bytes: number,
    sigmaHat: number,
    dt: number
  ): void
}

const PAGE = 65536

/** The SIMD module and its memory, laid out per call as equal 16-byte-aligned regions. */
class SimdKernels implements Float32Kernels {
  private view: Float32Array

  constructor(private readonly exports: KernelExports) {
    this.view = new Float32Array(exports.memory.buffer)
  }

  /** The byte stride of `count`-element regions, after growing memory to hold `regions`. */
  private layout(count: number, regions: number): number {
    const stride = Math.ceil((count * 4) / 16) * 16
    const needed = stride * regions
    const { memory } = this.exports
    if (memory.buffer.byteLength < needed) {
      memory.grow(Math.ceil((needed - memory.buffer.byteLength) / PAGE))
      this.view = new Float32Array(memory.buffer)
    }
    return stride
  }

  private put(src: Float32Array, byteOffset: number): void {
    this.view.set(src, byteOffset / 4)
  }

  private take(byteOffset: number, count: number): Float32Array {
    return this.view.slice(byteOffset / 4, byteOffset / 4 + count)
  }

  guideHalvesInPlace(data: Float32Array, guidanceScale: number): void {
    const half = data.length / 2
    const stride = this.layout(half, 2)
    this.put(data.subarray(0, half), 0)
    this.put(data.subarray(half), stride)
    this.exports.guide(0, stride, stride, guidanceScale)
    data.set(this.view.subarray(0, half))
  }

  divide(src: Float32Array, divisor: number): Float32Array {
    const stride = this.layout(src.length, 2)
    this.put(src, 0)
    this.exports.divide(0, stride, stride, divisor)
    return this.take(stride, src.length)
  }

  eulerEpsilon(
    m: Float32Array,
    s: Float32Array,
    sigmaHat: number,
    dt: number
  ): { x0: Float32Array; prev: Float32Array } {
    const stride = this.layout(s.length, 4)
    this.put(m, 0)
    this.put(s, stride)
    this.exports.eulerEpsilon(0, stride, 2 * stride, 3 * stride, stride, sigmaHat, dt)
    return { x0: this.take(2 * stride, s.length), prev: this.take(3 * stride, s.length) }
  }
}

/** The SIMD kernels, or null where this runtime cannot compile them. */
export function compileSimdKernels(): Float32Kernels | null {
  const binary = assembleKernels(KERNELS, 1)
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(binary)) return null
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary))
  return new SimdKernels(instance.exports as unknown as KernelExports)
}

/** The kernels the engine runs: SIMD where the runtime has it, scalar JavaScript otherwise. */
export const float32Kernels: Float32Kernels = compileSimdKernels() ?? scalarKernels
