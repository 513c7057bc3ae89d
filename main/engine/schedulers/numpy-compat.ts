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
 * `torch.linspace(start, end, steps, dtype=torch.float32)` on the CPU as PyTorch 2 computes it:
 * a single-precision step, then every element `start + step·i` (first half) or
 * `end − step·(steps − 1 − i)` (second half) rounded once. Bit-exact with torch 2.13's CPU build
 * (AVX2 and AVX-512 alike); torch 1.x's vectorised kernel differed in the last bit of some values.
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
  // step·i is exact in double for these sizes, so rounding the double expression once is the
  // kernel's fused multiply-add.
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + step * i) : f32(e - step * (steps - i - 1))
  }
  return out
}
