import { f32 } from './numpy-compat'

/**
 * diffusers' `_threshold_sample` (Imagen's dynamic thresholding), in place on float32 data laid
 * out `[batch, ...]`: per batch item, s = the `ratio` quantile of |x| (torch.quantile's linear
 * interpolation), clamped to [1, maxValue]; then x = clamp(x, -s, s) / s.
 */
export function dynamicThreshold(
  data: Float32Array,
  batch: number,
  ratio: number,
  maxValue: number
): void {
  if (batch <= 0) return
  const per = data.length / batch
  const q = f32(ratio)
  for (let b = 0; b < batch; b++) {
    const item = data.subarray(b * per, (b + 1) * per)
    const sorted = Float32Array.from(item, (v) => Math.abs(v)).sort()
    const rank = f32(q * (per - 1))
    const below = Math.floor(rank)
    const above = Math.min(below + 1, per - 1)
    const weight = f32(rank - below)
    const lo = sorted[below] as number
    const hi = sorted[above] as number
    // torch.lerp's two-sided formula, chosen by the weight.
    const quantile =
      weight < 0.5
        ? f32(lo + f32(weight * f32(hi - lo)))
        : f32(hi - f32(f32(hi - lo) * f32(1 - weight)))
    const s = Math.min(Math.max(quantile, 1), f32(maxValue))
    for (let i = 0; i < per; i++) {
      const v = item[i] as number
      item[i] = f32(Math.min(Math.max(v, -s), s) / s)
    }
  }
}
