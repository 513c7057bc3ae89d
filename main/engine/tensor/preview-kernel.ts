import {
  int32Splat,
  lanes,
  lowHalves,
  shiftLeft,
  truncToInt32,
  type ElementwiseKernel,
  type LaneValue,
  type LoopScope
} from './wasm-assembler'
import { ROUND_HALF_EVEN } from './scalar-float32-kernels'

/**
 * The SIMD kernel of the 4-channel linear preview (float32-kernels.ts runs it): per pixel and
 * colour, the bias plus the four channels times their factors in float64 lanes, as the scalar
 * reference computes it, then ComfyUI's byte mapping with ties rounded to even.
 */

/** Scalars of the preview kernel after the 12 factors and 3 biases. */
export const PREVIEW_CONSTANTS = [-1, 1, 127.5, ROUND_HALF_EVEN]

/** One colour of two pixels (`half` 0 or 1 of the four at this position), as int32 lanes 0–1. */
function previewColour(scope: LoopScope, colour: number, half: number): LaneValue {
  const { local, scalar } = scope
  let acc = scalar(12 + colour)
  for (let c = 0; c < 4; c++) {
    acc = lanes('addF64', acc, lanes('mulF64', local(c * 2 + half), scalar(c * 3 + colour)))
  }
  const clamped = lanes('pminF64', lanes('pmaxF64', acc, scalar(15)), scalar(16))
  const scaled = lanes('mulF64', lanes('addF64', clamped, scalar(16)), scalar(17))
  return truncToInt32(lanes('subF64', lanes('addF64', scaled, scalar(18)), scalar(18)))
}

export const PREVIEW_KERNEL: ElementwiseKernel = {
  // arrays: the 4 channel planes, the RGBA output (4 bytes a pixel: 16 bytes are 4 pixels, as
  // 16 bytes of a plane are); scalars: factors[c][colour] at c·3 + colour, the bias, constants.
  name: 'previewSignedUnit',
  arrays: 5,
  scalars: Array<'f64'>(12 + 3 + PREVIEW_CONSTANTS.length).fill('f64'),
  temps: 14,
  body: (scope) => {
    const promoted = [0, 1, 2, 3].flatMap((c) =>
      [0, 1].map((half) => ({
        set: c * 2 + half,
        value: scope.loadPromoted(c, half === 0 ? 0 : 8)
      }))
    )
    const colours = [0, 1, 2].flatMap((colour) =>
      [0, 1].map((half) => ({
        set: 8 + colour * 2 + half,
        value: previewColour(scope, colour, half)
      }))
    )
    const colour = (c: number): LaneValue =>
      lowHalves(scope.local(8 + c * 2), scope.local(9 + c * 2))
    const rgba = lanes(
      'or',
      lanes('or', colour(0), shiftLeft(colour(1), 8)),
      lanes('or', shiftLeft(colour(2), 16), int32Splat(0xff000000 | 0))
    )
    return [...promoted, ...colours, { store: 4, value: rgba }]
  }
}
