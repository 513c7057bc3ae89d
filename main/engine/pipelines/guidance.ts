import type { Tensor } from 'onnxruntime-node'
import type { Scheduler, SchedulerStepOptions, SchedulerStepOutput } from '../schedulers'
import { batchOf } from '../tensor/batch'
import { float32Data, floatTensor, type FloatTensor } from '../tensor/float-tensor'
import { float32Kernels } from '../tensor/float32-kernels'

const f32 = Math.fround

/**
 * Classifier-free guidance on a UNet output of 2B rows `[uncond ; cond]`:
 * `uncond + g · (cond − uncond)`, each operation rounded to float32 as torch computes it.
 * Returns the guided prediction (B rows) and the conditional half (for guidance rescale).
 */
export function applyClassifierFreeGuidance(
  noisePred: Tensor,
  guidanceScale: number
): { guided: FloatTensor; cond: FloatTensor } {
  // The in-place form on a copy: the same bits, and the caller's tensor stays untouched.
  const copy = floatTensor(float32Data(noisePred).slice(), noisePred.dims)
  return applyClassifierFreeGuidanceInPlace(copy, guidanceScale)
}

/**
 * {@link applyClassifierFreeGuidance} for the denoising loop, without allocating: the guided
 * prediction is written over the unconditional half of `noisePred` (each element is read before
 * it is written, so the values are the same bits), and both halves are returned as views of its
 * buffer. Only for a UNet output nobody else holds: the loop's, fresh from `session.run` each step.
 */
export function applyClassifierFreeGuidanceInPlace(
  noisePred: Tensor,
  guidanceScale: number
): { guided: FloatTensor; cond: FloatTensor } {
  const rows = batchOf(noisePred)
  if (rows % 2 !== 0)
    throw new Error(`cannot split a UNet output of ${rows} rows into uncond/cond halves`)
  const src = float32Data(noisePred)
  const half = src.length / 2
  const dims = [rows / 2, ...noisePred.dims.slice(1)]
  float32Kernels.guideHalvesInPlace(src, guidanceScale)
  return {
    guided: floatTensor(src.subarray(0, half), dims),
    cond: floatTensor(src.subarray(half), dims)
  }
}

/**
 * Guidance rescale (Lin et al. 2023, §3.4; diffusers' `rescale_noise_cfg`): per sample, scale
 * the guided prediction to the standard deviation of the conditional one, then blend:
 * `φ · guided · (σ_cond / σ_guided) + (1 − φ) · guided`. Standard deviations use Bessel's
 * correction (n − 1), like `torch.std`.
 */
export function rescaleNoiseCfg(
  guided: Tensor,
  cond: Tensor,
  guidanceRescale: number
): FloatTensor {
  const rows = batchOf(guided)
  const g = float32Data(guided)
  const c = float32Data(cond)
  const per = g.length / rows
  const out = new Float32Array(g.length)
  const phi = guidanceRescale
  for (let r = 0; r < rows; r++) {
    const start = r * per
    const sc = stdBessel(c, start, per)
    const sg = stdBessel(g, start, per)
    const ratio = f32(f32(sc) / f32(sg))
    for (let i = start; i < start + per; i++) {
      const v = g[i] as number
      const rescaled = f32(v * ratio)
      out[i] = f32(f32(phi) * rescaled) + f32(f32(1 - phi) * v)
    }
  }
  return floatTensor(out, guided.dims)
}

function stdBessel(data: Float32Array, start: number, n: number): number {
  let mean = 0
  for (let i = start; i < start + n; i++) mean += data[i] as number
  mean /= n
  let sq = 0
  for (let i = start; i < start + n; i++) {
    const d = (data[i] as number) - mean
    sq += d * d
  }
  return Math.sqrt(sq / (n - 1))
}

/**
 * diffusers' `get_guidance_scale_embedding` for LCM-distilled UNets (`time_cond_proj_dim`): a
 * sinusoidal embedding of `w = (guidanceScale − 1) · 1000`, `[sin(w·f_k) …, cos(w·f_k) …]` with
 * `f_k = exp(−k · ln(10000) / (half − 1))`, zero-padded for an odd `dim`, repeated `batch` times.
 */
export function guidanceScaleEmbedding(
  guidanceScale: number,
  dim: number,
  batch: number
): FloatTensor {
  const half = Math.floor(dim / 2)
  const w = f32(f32(guidanceScale - 1) * 1000)
  const step = f32(f32(Math.log(10000)) / (half - 1))
  const row = new Float32Array(dim)
  for (let k = 0; k < half; k++) {
    const freq = f32(Math.exp(f32(k * -step)))
    const arg = f32(w * freq)
    row[k] = Math.sin(arg)
    row[half + k] = Math.cos(arg)
  }
  const out = new Float32Array(dim * batch)
  for (let b = 0; b < batch; b++) out.set(row, b * dim)
  return floatTensor(out, [batch, dim])
}

/**
 * The loop's guidance (and its rescale) and scheduler step on a UNet output nobody else holds
 * (it may be guided in place): in the scheduler's one pass where it has one
 * (`Scheduler.stepGuided`), else guided here and then stepped; the same bits either way.
 */
export function guidedSchedulerStep(
  scheduler: Scheduler,
  noisePred: Tensor,
  t: number,
  latents: Tensor,
  guidance: { cfg: boolean; guidanceScale: number; guidanceRescale: number },
  options: SchedulerStepOptions
): SchedulerStepOutput {
  if (!guidance.cfg) return scheduler.step(noisePred, t, latents, options)
  if (guidance.guidanceRescale <= 0) {
    const fused = scheduler.stepGuided(noisePred, guidance.guidanceScale, t, latents, options)
    if (fused !== null) return fused
  }
  const { guided, cond } = applyClassifierFreeGuidanceInPlace(noisePred, guidance.guidanceScale)
  const prediction =
    guidance.guidanceRescale > 0 ? rescaleNoiseCfg(guided, cond, guidance.guidanceRescale) : guided
  return scheduler.step(prediction, t, latents, options)
}
