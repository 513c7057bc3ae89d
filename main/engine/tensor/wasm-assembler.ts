/**
 * Just enough of the WebAssembly binary format to build the engine's float32 kernels from
 * TypeScript: element-wise loops over `v128` lanes (four float32 values at a time). The module
 * is assembled at run time from these few opcodes, so nothing opaque is committed and no
 * toolchain is needed to change a kernel.
 */

/** Unsigned LEB128, the format's integer encoding. */
function unsigned(value: number): number[] {
  const out: number[] = []
  let rest = value >>> 0
  do {
    let byte = rest & 0x7f
    rest >>>= 7
    if (rest !== 0) byte |= 0x80
    out.push(byte)
  } while (rest !== 0)
  return out
}

function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()]
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsigned(body.length), ...body]
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)]
  return [...unsigned(bytes.length), ...bytes]
}

const LOCAL_GET = 0x20
const LOCAL_SET = 0x21
const I32_ADD = 0x6a
const V128_LOAD = 0
const V128_LOAD64_ZERO = 0x5d
const F64X2_PROMOTE_LOW_F32X4 = 0x5f
const F64X2_SPLAT = 0x14
const V128_STORE = 0x0b
const F32X4_SPLAT = 0x13
const BLOCK = [0x02, 0x40]
const LOOP = [0x03, 0x40]
const I32_GE_U = 0x4f
const I32_CONST = 0x41
const BR_IF = 0x0d
const BR = 0x0c
const END = 0x0b
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

const I32 = 0x7f
const F32 = 0x7d
const F64 = 0x7c
const V128 = 0x7b

/**
 * The SIMD lane operations the kernels use (the `0xfd`-prefixed opcodes): float32 ×4 and
 * float64 ×2 arithmetic (IEEE 754, rounded in every lane), the float64 lanes' `pmin`/`pmax`
 * (`b < a ? b : a` and `a < b ? b : a`, which keep a NaN operand `a`), and the conversions the
 * preview needs.
 */
export const Lanes = {
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  addF64: 0xf0,
  subF64: 0xf1,
  mulF64: 0xf2,
  pminF64: 0xf6,
  pmaxF64: 0xf7,
  or: 0x50
} as const

/** One lane operation of two operands. */
export type LaneOp = keyof typeof Lanes

/** A value of a kernel's loop body: the bytes that leave one `v128` on the stack. */
export type LaneValue = number[]

/** A scalar parameter's type: float32 (splatted to four lanes) or float64 (to two). */
export type ScalarType = 'f32' | 'f64'

/** What a loop body can read: the arrays' current lanes and the scalars (splatted). */
export interface LoopScope {
  /** The 16 bytes of array `k` at the current position. */
  load(k: number): LaneValue
  /**
   * The two float32 values at byte `offset` (0 or 8) of array `k`'s current 16 bytes, as two
   * float64 lanes (exactly: every float32 is a float64).
   */
  loadPromoted(k: number, offset: 0 | 8): LaneValue
  /** Scalar `j`, the same in every lane. */
  scalar(j: number): LaneValue
  /** Local `j` of the body (set with `set`), for a value used twice. */
  local(j: number): LaneValue
}

/** One statement of a loop body. */
export type LoopStatement = { store: number; value: LaneValue } | { set: number; value: LaneValue }

/**
 * An exported kernel: `(ptr0, …, ptrN-1, bytes, scalar0, …)` runs its body for each 16-byte
 * position below `bytes`, every array `k` read and written at `ptrK + position`.
 */
export interface ElementwiseKernel {
  name: string
  arrays: number
  scalars: readonly ScalarType[]
  /** Body locals (v128) available to `set` and `local`. */
  temps: number
  body: (scope: LoopScope) => LoopStatement[]
}

/** `a op b` on two lane values. */
export function lanes(op: LaneOp, a: LaneValue, b: LaneValue): LaneValue {
  return [...a, ...b, 0xfd, ...unsigned(Lanes[op])]
}

/**
 * Two float64 lanes to int32 lanes 0 and 1, truncated toward zero and saturated (NaN → 0);
 * lanes 2 and 3 are 0.
 */
export function truncToInt32(a: LaneValue): LaneValue {
  return [...a, 0xfd, ...unsigned(0xfc)]
}

/** The int32 lanes shifted left by `bits`. */
export function shiftLeft(a: LaneValue, bits: number): LaneValue {
  return [...a, I32_CONST, bits, 0xfd, ...unsigned(0xab)]
}

/** Int32 lanes 0 and 1 of `a`, then lanes 0 and 1 of `b`. */
export function lowHalves(a: LaneValue, b: LaneValue): LaneValue {
  const lanesOfA = [0, 1, 2, 3, 4, 5, 6, 7]
  const lanesOfB = lanesOfA.map((i) => 16 + i)
  return [...a, ...b, 0xfd, ...unsigned(0x0d), ...lanesOfA, ...lanesOfB]
}

/** Four int32 lanes of one value. */
export function int32Splat(value: number): LaneValue {
  const bytes = new Uint8Array(new Int32Array([value, value, value, value]).buffer)
  return [0xfd, ...unsigned(0x0c), ...bytes]
}

function functionBody(kernel: ElementwiseKernel): number[] {
  const { arrays, scalars, temps } = kernel
  const bytesParam = arrays
  const firstScalar = arrays + 1
  const position = arrays + 1 + scalars.length
  const firstSplat = position + 1
  const firstTemp = firstSplat + scalars.length
  const get = (index: number): number[] => [LOCAL_GET, ...unsigned(index)]
  const set = (index: number): number[] => [LOCAL_SET, ...unsigned(index)]
  const address = (k: number): number[] => [...get(k), ...get(position), I32_ADD]
  const memarg = [4, 0] // 16-byte alignment (2⁴), offset 0
  const scope: LoopScope = {
    load: (k) => [...address(k), 0xfd, ...unsigned(V128_LOAD), ...memarg],
    loadPromoted: (k, offset) => [
      ...address(k),
      0xfd,
      ...unsigned(V128_LOAD64_ZERO),
      3, // 8-byte alignment (2³)
      offset,
      0xfd,
      ...unsigned(F64X2_PROMOTE_LOW_F32X4)
    ],
    scalar: (j) => get(firstSplat + j),
    local: (j) => get(firstTemp + j)
  }
  const statements = kernel
    .body(scope)
    .flatMap((s) =>
      'store' in s
        ? [...address(s.store), ...s.value, 0xfd, ...unsigned(V128_STORE), ...memarg]
        : [...s.value, ...set(firstTemp + s.set)]
    )
  const splats = scalars
    .map((type, j) => [
      ...get(firstScalar + j),
      0xfd,
      ...unsigned(type === 'f32' ? F32X4_SPLAT : F64X2_SPLAT),
      ...set(firstSplat + j)
    ])
    .flat()
  const leaveWhenDone = [...get(position), ...get(bytesParam), I32_GE_U, BR_IF, 1]
  const advance = [...get(position), I32_CONST, 16, I32_ADD, ...set(position)]
  const locals = [
    [1, I32],
    [scalars.length + temps, V128]
  ].filter(([count]) => (count as number) > 0)
  const code = [
    ...vector(locals as number[][]),
    ...splats,
    ...BLOCK,
    ...LOOP,
    ...leaveWhenDone,
    ...statements,
    ...advance,
    BR,
    0,
    END,
    END,
    END
  ]
  return [...unsigned(code.length), ...code]
}

/**
 * The binary of a module exporting `memory` (its one linear memory, `pages` of 64 KiB at start)
 * and the kernels, in order.
 */
export function assembleKernels(
  kernels: readonly ElementwiseKernel[],
  pages: number
): Uint8Array<ArrayBuffer> {
  const types = kernels.map((k) => [
    0x60,
    ...vector([
      ...Array(k.arrays + 1).fill([I32]),
      ...k.scalars.map((t) => [t === 'f32' ? F32 : F64])
    ]),
    ...vector([])
  ])
  const exports = [
    [...name('memory'), 0x02, 0],
    ...kernels.map((k, i) => [...name(k.name), 0x00, ...unsigned(i)])
  ]
  return new Uint8Array([
    ...MAGIC_AND_VERSION,
    ...section(1, vector(types)),
    ...section(3, vector(kernels.map((_, i) => unsigned(i)))),
    ...section(5, vector([[0x00, ...unsigned(pages)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(kernels.map(functionBody)))
  ])
}
