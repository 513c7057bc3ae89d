import path from 'node:path'
import { modelLatentRgbFactors, type LatentRgbFactors } from '../previews/latent-rgb-factors'
import { ModelLoadError } from './model-load-error'
import {
  optionalNumber,
  optionalString,
  readOptionalJsonObject,
  type JsonObject
} from './read-json'

/** Generation defaults a model recommends (`stepwise.json` → `defaults`). */
export interface ModelDefaults {
  numInferenceSteps: number | null
  guidanceScale: number | null
  guidanceRescale: number | null
  width: number | null
  height: number | null
  /** A diffusers scheduler class name to use instead of `scheduler_config.json`'s. */
  scheduler: string | null
}

/**
 * Stepwise's optional per-model file, `stepwise.json`, beside `model_index.json`: a display
 * name, recommended defaults and preview factors fitted to the model's latent space.
 */
export interface StepwiseModelInfo {
  name: string | null
  description: string | null
  defaults: ModelDefaults
  /** Model-fitted latent → RGB factors; they take precedence over the family's table. */
  latentRgbFactors: LatentRgbFactors | null
}

const EMPTY_DEFAULTS: ModelDefaults = {
  numInferenceSteps: null,
  guidanceScale: null,
  guidanceRescale: null,
  width: null,
  height: null,
  scheduler: null
}

/** Reads `<dir>/stepwise.json` if present. */
export async function readStepwiseInfo(dir: string): Promise<StepwiseModelInfo | null> {
  const file = path.join(dir, 'stepwise.json')
  const raw = await readOptionalJsonObject(file, 'stepwise.json')
  if (raw === null) return null
  return parseStepwiseInfo(raw, file)
}

/** Parses the contents of a `stepwise.json`. */
export function parseStepwiseInfo(raw: JsonObject, file: string): StepwiseModelInfo {
  const d = raw.defaults
  let defaults = EMPTY_DEFAULTS
  if (d !== undefined && d !== null) {
    if (typeof d !== 'object' || Array.isArray(d)) {
      throw new ModelLoadError(file, `"defaults" in ${file} must be an object`)
    }
    const obj = d as JsonObject
    const positiveInt = (key: string): number | null => {
      const v = optionalNumber(obj, key, file)
      if (v !== null && (!Number.isInteger(v) || v <= 0)) {
        throw new ModelLoadError(
          file,
          `"defaults.${key}" in ${file} must be a positive integer, but it is ${v}`
        )
      }
      return v
    }
    defaults = {
      numInferenceSteps: positiveInt('num_inference_steps'),
      guidanceScale: optionalNumber(obj, 'guidance_scale', file),
      guidanceRescale: optionalNumber(obj, 'guidance_rescale', file),
      width: positiveInt('width'),
      height: positiveInt('height'),
      scheduler: optionalString(obj, 'scheduler', file)
    }
  }
  let latentRgbFactors: LatentRgbFactors | null = null
  const factors = raw.latent_rgb_factors
  if (factors !== undefined && factors !== null) {
    const bias = raw.latent_rgb_bias
    const isRow = (row: unknown): row is number[] =>
      Array.isArray(row) && row.every((v) => typeof v === 'number' && Number.isFinite(v))
    if (!Array.isArray(factors) || factors.length === 0 || !factors.every(isRow)) {
      throw new ModelLoadError(
        file,
        `"latent_rgb_factors" in ${file} must be a list of [R, G, B] rows, one per latent channel`
      )
    }
    if (bias !== undefined && bias !== null && !isRow(bias)) {
      throw new ModelLoadError(file, `"latent_rgb_bias" in ${file} must be a list of 3 numbers`)
    }
    try {
      latentRgbFactors = modelLatentRgbFactors(
        factors,
        bias === undefined || bias === null ? null : (bias as number[]),
        `${path.basename(path.dirname(file))} (stepwise.json)`
      )
    } catch (error) {
      throw new ModelLoadError(file, `${file}: ${(error as Error).message}`)
    }
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : null,
    description: typeof raw.description === 'string' ? raw.description : null,
    defaults,
    latentRgbFactors
  }
}
