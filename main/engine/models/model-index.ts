import path from 'node:path'
import { ModelLoadError } from './model-load-error'
import { readJsonObject, type JsonObject } from './read-json'

/** Which denoising loop a model needs. */
export type ModelFamily = 'sd' | 'sdxl'

/** The pipeline classes Stepwise runs, by diffusers name. */
export type PipelineClassName = 'StableDiffusionPipeline' | 'StableDiffusionXLPipeline'

/**
 * `_class_name` values accepted in `model_index.json`: diffusers' own, optimum's `ORT…` names,
 * and the legacy `OnnxStableDiffusionPipeline` of diffusers' ONNX converter.
 */
export const KNOWN_PIPELINE_CLASSES: Readonly<Record<string, PipelineClassName>> = {
  StableDiffusionPipeline: 'StableDiffusionPipeline',
  ORTStableDiffusionPipeline: 'StableDiffusionPipeline',
  OnnxStableDiffusionPipeline: 'StableDiffusionPipeline',
  StableDiffusionXLPipeline: 'StableDiffusionXLPipeline',
  ORTStableDiffusionXLPipeline: 'StableDiffusionXLPipeline'
}

/** What `model_index.json` says about a model folder. */
export interface ModelIndex {
  path: string
  /** `_class_name` as written. */
  className: string
  pipelineClass: PipelineClassName
  family: ModelFamily
  /** The legacy diffusers ONNX layout (`OnnxStableDiffusionPipeline`, no per-component configs). */
  legacyOnnx: boolean
  /** SDXL: encode an absent negative prompt as zeros (diffusers' `force_zeros_for_empty_prompt`). */
  forceZerosForEmptyPrompt: boolean
  /** Component names listed with a non-null library entry (`"unet": ["diffusers", "…"]`). */
  components: string[]
  raw: JsonObject
}

/** Reads and checks `<dir>/model_index.json`. */
export async function readModelIndex(dir: string): Promise<ModelIndex> {
  const file = path.join(dir, 'model_index.json')
  const raw = await readJsonObject(file, 'model_index.json')
  const className = raw._class_name
  if (typeof className !== 'string') {
    throw new ModelLoadError(file, `${file} has no "_class_name" naming the pipeline`)
  }
  const pipelineClass = KNOWN_PIPELINE_CLASSES[className]
  if (pipelineClass === undefined) {
    throw new ModelLoadError(
      file,
      `${file} names the pipeline "${className}", which Stepwise cannot run (supported: ${Object.keys(KNOWN_PIPELINE_CLASSES).join(', ')})`
    )
  }
  const components = Object.entries(raw)
    .filter(([key, value]) => !key.startsWith('_') && Array.isArray(value) && value[0] !== null)
    .map(([key]) => key)
  const force = raw.force_zeros_for_empty_prompt
  return {
    path: file,
    className,
    pipelineClass,
    family: pipelineClass === 'StableDiffusionXLPipeline' ? 'sdxl' : 'sd',
    legacyOnnx: className === 'OnnxStableDiffusionPipeline',
    // diffusers' SDXL pipeline registers this with default True when the index omits it.
    forceZerosForEmptyPrompt:
      typeof force === 'boolean' ? force : pipelineClass === 'StableDiffusionXLPipeline',
    components,
    raw
  }
}
