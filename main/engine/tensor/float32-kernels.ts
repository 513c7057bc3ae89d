import {
  assembleKernels,
  lanes,
  type ElementwiseKernel,
  type LaneValue,
  type LoopScope,
  type LoopStatement
} from './wasm-assembler'
import { DPM_SOLVER_KERNELS } from './dpm-solver-kernels'
import { PREVIEW_CONSTANTS, PREVIEW_KERNEL } from './preview-kernel'
import {
  scalarKernels,
  type DdimCoefficients,
  type DpmSecondOrderCoefficients,
  type Float32Kernels
} from './scalar-float32-kernels'

export {
  scalarKernels,
  signedUnitToByte,
  type DdimCoefficients,
  type DpmSecondOrderCoefficients,
  type Float32Kernels
} from './scalar-float32-kernels'

/**
 * The element-wise float32 arithmetic of every denoising step (guidance, the model input's
 * scaling, Euler's, DDIM's and DPM-Solver++'s steps), run four lanes at a time in WebAssembly
 * SIMD. Scalar JavaScript rounds each operation to float32 with `Math.fround` around double
 * arithmetic, about 2 ns an element here; the SIMD lanes do the same IEEE float32 operations natively, in a tenth of the
 * time even with the copies in and out of the module's memory. Float32 addition, subtraction,
 * multiplication and division give the same bits whichever way they are computed (a double
 * result rounded once to float32 is the float32 result), so both paths agree bit for bit; the
 * scalar one is kept for runtimes without SIMD and as the tests' reference.
 */

/**
 * Euler's epsilon step on `epsilon`, the sample in local `locals.sample`: `x0 = s − σ̂·ε` (kept in
 * local `locals.x0`) and `prev = s + ((s − x0) / σ̂) · dt`, stored at arrays `out.x0` and
 * `out.prev`; σ̂ and dt are the scalars at `sigmaHat` and `sigmaHat + 1`.
 */
function eulerStep(
  { scalar, local }: LoopScope,
  epsilon: LaneValue,
  locals: { sample: number; x0: number },
  out: { x0: number; prev: number },
  sigmaHat: number
): LoopStatement[] {
  const s = local(locals.sample)
  return [
    { set: locals.x0, value: lanes('sub', s, lanes('mul', scalar(sigmaHat), epsilon)) },
    { store: out.x0, value: local(locals.x0) },
    {
      store: out.prev,
      value: lanes(
        'add',
        s,
        lanes(
          'mul',
          lanes('div', lanes('sub', s, local(locals.x0)), scalar(sigmaHat)),
          scalar(sigmaHat + 1)
        )
      )
    }
  ]
}

const KERNELS: readonly ElementwiseKernel[] = [
  {
    name: 'guide',
    arrays: 2,
    scalars: ['f32'],
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
    scalars: ['f32'],
    temps: 0,
    body: ({ load, scalar }) => [{ store: 1, value: lanes('div', load(0), scalar(0)) }]
  },
  {
    // arrays: ε, s, x0, prev; scalars: σ̂, dt
    name: 'eulerEpsilon',
    arrays: 4,
    scalars: ['f32', 'f32'],
    temps: 2,
    body: (scope) => [
      { set: 0, value: scope.load(1) },
      ...eulerStep(scope, scope.load(0), { sample: 0, x0: 1 }, { x0: 2, prev: 3 }, 0)
    ]
  },
  {
    // arrays: u, c (the two halves of the UNet output), s, x0, prev; scalars: g, σ̂, dt. Guide's
    // then eulerEpsilon's operations, in their order.
    name: 'eulerGuidedEpsilon',
    arrays: 5,
    scalars: ['f32', 'f32', 'f32'],
    temps: 3,
    body: (scope) => {
      const { load, scalar, local } = scope
      return [
        { set: 0, value: load(0) },
        {
          set: 1,
          value: lanes('add', local(0), lanes('mul', scalar(0), lanes('sub', load(1), local(0))))
        },
        { set: 0, value: load(2) },
        ...eulerStep(scope, local(1), { sample: 0, x0: 2 }, { x0: 3, prev: 4 }, 1)
      ]
    }
  },
  {
    // arrays: ε, s, x0, prev; scalars: √β_t, √ᾱ_t, √ᾱ_prev, the direction's coefficient
    name: 'ddimEpsilon',
    arrays: 4,
    scalars: ['f32', 'f32', 'f32', 'f32'],
    temps: 2,
    body: ({ load, scalar, local }) => [
      { set: 0, value: load(0) },
      {
        set: 1,
        value: lanes('div', lanes('sub', load(1), lanes('mul', scalar(0), local(0))), scalar(1))
      },
      { store: 2, value: local(1) },
      {
        store: 3,
        value: lanes('add', lanes('mul', scalar(2), local(1)), lanes('mul', scalar(3), local(0)))
      }
    ]
  },
  ...DPM_SOLVER_KERNELS,
  PREVIEW_KERNEL
]

/**
 * The few parts of the WebAssembly API used here, declared locally: the engine's npm package is
 * type-checked against ES2023 and Node's typings only, which do not declare the global.
 */
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: unknown }
}

/** A module's linear memory (`WebAssembly.Memory`). */
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

interface KernelExports {
  memory: WasmMemory
  guide(uncond: number, cond: number, bytes: number, g: number): void
  divide(src: number, out: number, bytes: number, d: number): void
  eulerEpsilon(...args: number[]): void
  eulerGuidedEpsilon(...args: number[]): void
  ddimEpsilon(...args: number[]): void
  dpmDataPrediction(...args: number[]): void
  dpmFirstOrder(...args: number[]): void
  dpmSecondOrderMidpoint(...args: number[]): void
  previewSignedUnit(...args: number[]): void
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
    return this.step(m, s, (p) => this.exports.eulerEpsilon(...p, sigmaHat, dt))
  }

  eulerGuidedEpsilon(
    m: Float32Array,
    s: Float32Array,
    guidanceScale: number,
    sigmaHat: number,
    dt: number
  ): { x0: Float32Array; prev: Float32Array } {
    const n = s.length
    const stride = this.layout(n, 5)
    this.put(m.subarray(0, n), 0)
    this.put(m.subarray(n, 2 * n), stride)
    this.put(s, 2 * stride)
    this.exports.eulerGuidedEpsilon(
      0,
      stride,
      2 * stride,
      3 * stride,
      4 * stride,
      stride,
      guidanceScale,
      sigmaHat,
      dt
    )
    return { x0: this.take(3 * stride, n), prev: this.take(4 * stride, n) }
  }

  ddimEpsilon(
    m: Float32Array,
    s: Float32Array,
    c: DdimCoefficients
  ): { x0: Float32Array; prev: Float32Array } {
    const { sqrtBetaT, sqrtAlphaT, sqrtAlphaPrev, direction } = c
    return this.step(m, s, (p) =>
      this.exports.ddimEpsilon(...p, sqrtBetaT, sqrtAlphaT, sqrtAlphaPrev, direction)
    )
  }

  /**
   * A scheduler step's kernel: ε and s in, x0 and prev out; `run` gets the four regions and the
   * byte count, the kernel's first arguments.
   */
  private step(
    m: Float32Array,
    s: Float32Array,
    run: (regions: [number, number, number, number, number]) => void
  ): { x0: Float32Array; prev: Float32Array } {
    const stride = this.layout(s.length, 4)
    this.put(m, 0)
    this.put(s, stride)
    run([0, stride, 2 * stride, 3 * stride, stride])
    return { x0: this.take(2 * stride, s.length), prev: this.take(3 * stride, s.length) }
  }

  dpmDataPrediction(m: Float32Array, s: Float32Array, sigma: number, alpha: number): Float32Array {
    return this.twoInOneOut(m, s, (p) => this.exports.dpmDataPrediction(...p, sigma, alpha))
  }

  dpmFirstOrder(s: Float32Array, x0: Float32Array, a: number, b: number): Float32Array {
    return this.twoInOneOut(s, x0, (p) => this.exports.dpmFirstOrder(...p, a, b))
  }

  /**
   * A kernel of two arrays in and one out, of `first`'s length; `run` gets the three regions and
   * the byte count, the kernel's first arguments.
   */
  private twoInOneOut(
    first: Float32Array,
    second: Float32Array,
    run: (regions: [number, number, number, number]) => void
  ): Float32Array {
    const stride = this.layout(first.length, 3)
    this.put(first, 0)
    this.put(second, stride)
    run([0, stride, 2 * stride, stride])
    return this.take(2 * stride, first.length)
  }

  dpmSecondOrderMidpoint(
    s: Float32Array,
    m0: Float32Array,
    m1: Float32Array,
    { a, b, c, invR0 }: DpmSecondOrderCoefficients
  ): Float32Array {
    const stride = this.layout(s.length, 4)
    this.put(s, 0)
    this.put(m0, stride)
    this.put(m1, 2 * stride)
    this.exports.dpmSecondOrderMidpoint(0, stride, 2 * stride, 3 * stride, stride, a, b, c, invR0)
    return this.take(3 * stride, s.length)
  }

  previewSignedUnit(
    src: Float32Array,
    plane: number,
    factors: readonly (readonly number[])[],
    bias: readonly number[]
  ): Uint8Array {
    const stride = this.layout(plane, 5)
    for (let c = 0; c < 4; c++) this.put(src.subarray(c * plane, (c + 1) * plane), c * stride)
    const flat = factors.flatMap((row) => [row[0], row[1], row[2]]) as number[]
    this.exports.previewSignedUnit(
      0,
      stride,
      2 * stride,
      3 * stride,
      4 * stride,
      stride,
      ...flat,
      ...bias,
      ...PREVIEW_CONSTANTS
    )
    const start = 4 * stride
    return new Uint8Array(this.exports.memory.buffer.slice(start, start + plane * 4))
  }
}

/** The SIMD kernels, or null where this runtime cannot compile them. */
export function compileSimdKernels(): Float32Kernels | null {
  const binary = assembleKernels(KERNELS, 1)
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  if (wasm === undefined || !wasm.validate(binary)) return null
  const instance = new wasm.Instance(new wasm.Module(binary))
  return new SimdKernels(instance.exports as unknown as KernelExports)
}

/** The kernels the engine runs: SIMD where the runtime has it, scalar JavaScript otherwise. */
export const float32Kernels: Float32Kernels = compileSimdKernels() ?? scalarKernels
