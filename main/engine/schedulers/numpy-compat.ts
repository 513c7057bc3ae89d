/**
 * The few NumPy / PyTorch array routines diffusers' schedulers build their schedules with,
 * reproduced with the same rounding so timesteps and sigmas come out as diffusers' do (NumPy
 * rounds half to even; `arange` fills `start + i·delta`; `linspace` pins the last value; torch's
 * float32 `linspace` works in single precision).
 */

/** Rounds to float32. */
export const f32 = Math.fround

/** NumPy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  // Math.round sends halves up; NumPy sends them to the even integer.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** `np.linspace(start, stop, num, endpoint)` in float64. */
export function linspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num
  const delta = stop - start
  const out: number[] = []
  if (div > 0) {
    const step = delta / div
    for (let i = 0; i < num; i++)
      out.push(step === 0 ? (i / div) * delta + start : i * step + start)
    if (endpoint && num > 1) out[num - 1] = stop
  } else {
    for (let i = 0; i < num; i++) out.push(i * delta + start)
  }
  return out
}

/** `np.arange(start, stop, step)` for floats: length `ceil((stop - start) / step)`, values `start + i·delta`. */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step))
  const out: number[] = []
  if (length === 0) return out
  // NumPy fills from the first two values, so the effective step is (start + step) - start.
  const delta = start + step - start
  out.push(start)
  if (length > 1) out.push(start + step)
  for (let i = 2; i < length; i++) out.push(start + i * delta)
  return out
}

/** `np.interp(x, np.arange(len(fp)), fp)`: linear interpolation on the integer grid 0..n-1. */
export function interpOnIndexGrid(x: number, fp: ArrayLike<number>): number {
  const n = fp.length
  if (n === 0) throw new Error('interpOnIndexGrid: empty table')
  if (Number.isNaN(x)) return Number.NaN
  if (x <= 0) return fp[0] as number
  if (x >= n - 1) return fp[n - 1] as number
  const j = Math.floor(x)
  if (j === x) return fp[j] as number
  const lo = fp[j] as number
  const hi = fp[j + 1] as number
  const slope = hi - lo
  const result = slope * (x - j) + lo
  return Number.isNaN(result) ? slope * (x - (j + 1)) + hi : result
}

/**
 * `torch.linspace(start, end, steps, dtype=torch.float32)` on the CPU: single-precision step,
 * the first half counted up from `start` and the second half down from `end`, in the 8-wide
 * vector chunks torch's AVX2 kernel writes (each chunk is `base + k·step`), the tail in scalar.
 * Bit-exact with torch 1.13's AVX2 build; other builds may differ in the last bit of a few values.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps)
  if (steps === 0) return out
  const s = f32(start)
  const e = f32(end)
  if (steps === 1) {
    out[0] = s
    return out
  }
  const step = f32(f32(e - s) / f32(steps - 1))
  const halfway = Math.floor(steps / 2)
  // The compiler fuses `start + step * idx` into one FMA (single rounding); step·idx is exact in
  // double, so rounding the double expression once reproduces it.
  const scalar = (idx: number): number =>
    idx < halfway ? f32(s + step * idx) : f32(e - step * (steps - idx - 1))
  const width = 8
  let i = 0
  // torch's vectorized loop writes two vectors per iteration while two whole vectors fit.
  for (; i + 2 * width <= steps; i += 2 * width) {
    for (const chunk of [i, i + width]) {
      const base = scalar(chunk)
      for (let k = 0; k < width; k++) out[chunk + k] = k === 0 ? base : f32(base + f32(k * step))
    }
  }
  for (; i < steps; i++) out[i] = scalar(i)
  return out
}
