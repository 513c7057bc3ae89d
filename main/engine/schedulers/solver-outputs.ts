import { f32 } from './numpy-compat'
import { dynamicThreshold } from './thresholding'

/** The config keys the solvers' model-output conversion reads. */
export interface ConversionConfig {
  readonly prediction_type: string
  readonly thresholding: boolean
  readonly dynamic_thresholding_ratio: number
  readonly sample_max_value: number
}

/**
 * The data (x0) prediction of the exponential-integrator solvers' `convert_model_output` at a
 * step with `alpha_t` / `sigma_t`: from epsilon, sample or v prediction, dynamically thresholded
 * when the config asks for it. float32 in diffusers' operation order.
 */
export function x0Prediction(
  config: ConversionConfig,
  m: Float32Array,
  s: Float32Array,
  alpha: number,
  sigma: number,
  batch: number
): Float32Array {
  const n = s.length
  const out = new Float32Array(n)
  const pt = config.prediction_type
  for (let i = 0; i < n; i++) {
    const mi = m[i] as number
    const si = s[i] as number
    if (pt === 'epsilon') out[i] = f32(f32(si - f32(sigma * mi)) / alpha)
    else if (pt === 'sample') out[i] = mi
    else out[i] = f32(f32(alpha * si) - f32(sigma * mi))
  }
  if (config.thresholding) {
    dynamicThreshold(out, batch, config.dynamic_thresholding_ratio, config.sample_max_value)
  }
  return out
}

/**
 * The noise (epsilon) prediction of the solvers that integrate epsilon (`dpmsolver`, UniPC with
 * `predict_x0: false`): the model output itself, or derived from sample or v prediction.
 */
export function epsilonPrediction(
  predictionType: string,
  m: Float32Array,
  s: Float32Array,
  alpha: number,
  sigma: number
): Float32Array {
  if (predictionType === 'epsilon') return m
  const n = s.length
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const mi = m[i] as number
    const si = s[i] as number
    out[i] =
      predictionType === 'sample'
        ? f32(f32(si - f32(alpha * mi)) / sigma)
        : f32(f32(alpha * mi) + f32(sigma * si))
  }
  return out
}

/** x0 from an epsilon prediction at `alpha_t` / `sigma_t`: `(sample − sigma·eps) / alpha`. */
export function x0FromEpsilon(
  eps: Float32Array,
  s: Float32Array,
  alpha: number,
  sigma: number
): Float32Array {
  const out = new Float32Array(s.length)
  for (let i = 0; i < s.length; i++) {
    out[i] = f32(f32((s[i] as number) - f32(sigma * (eps[i] as number))) / alpha)
  }
  return out
}
