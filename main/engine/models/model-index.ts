import path from 'node:path'
import { ModelLoadError } from './model-load-error'
import { readJsonObject, type JsonObject } from './read-json'

/**
 * Which pipeline runs a model: diffusers' StableDiffusionPipeline (`sd`: SD 1.x and 2.x) or
 * StableDiffusionXLPipeline (`sdxl`). The app's `ModelFamily` (shared/contract.ts) is another
 * thing: it tells SD 1.x from SD 2.x for people.
 */
export type PipelineFamily = 'sd' | 'sdxl'

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
  ORTStableDiffusionXLPipeline: 'StableDiffusionXLPipeline',
  // Image-to-image and inpainting folders hold the same components (an inpainting one a 9-channel
  // UNet); diffusers opens them with any pipeline of the family, and so does Stepwise.
  StableDiffusionImg2ImgPipeline: 'StableDiffusionPipeline',
  OnnxStableDiffusionImg2ImgPipeline: 'StableDiffusionPipeline',
  ORTStableDiffusionImg2ImgPipeline: 'StableDiffusionPipeline',
  StableDiffusionInpaintPipeline: 'StableDiffusionPipeline',
  OnnxStableDiffusionInpaintPipeline: 'StableDiffusionPipeline',
  ORTStableDiffusionInpaintPipeline: 'StableDiffusionPipeline',
  StableDiffusionXLImg2ImgPipeline: 'StableDiffusionXLPipeline',
  ORTStableDiffusionXLImg2ImgPipeline: 'StableDiffusionXLPipeline',
  StableDiffusionXLInpaintPipeline: 'StableDiffusionXLPipeline',
  ORTStableDiffusionXLInpaintPipeline: 'StableDiffusionXLPipeline'
}

/**
 * diffusers / optimum pipeline classes Stepwise recognises but cannot run yet, with the family
 * name people know them by, so a folder of one is reported as "not supported yet" by name
 * rather than as an unknown file.
 */
export const UNSUPPORTED_PIPELINE_FAMILIES: Readonly<Record<string, string>> = {
  StableDiffusion3Pipeline: 'Stable Diffusion 3',
  ORTStableDiffusion3Pipeline: 'Stable Diffusion 3',
  FluxPipeline: 'Flux',
  ORTFluxPipeline: 'Flux',
  LatentConsistencyModelPipeline: 'Latent Consistency Model',
  ORTLatentConsistencyModelPipeline: 'Latent Consistency Model',
  StableDiffusionUpscalePipeline: 'Stable Diffusion upscaler',
  OnnxStableDiffusionUpscalePipeline: 'Stable Diffusion upscaler',
  PixArtAlphaPipeline: 'PixArt-α',
  PixArtSigmaPipeline: 'PixArt-Σ',
  KandinskyV22Pipeline: 'Kandinsky 2.2',
  KandinskyV22PriorPipeline: 'Kandinsky 2.2',
  StableCascadeCombinedPipeline: 'Stable Cascade',
  AuraFlowPipeline: 'AuraFlow',
  SanaPipeline: 'Sana',
  HunyuanDiTPipeline: 'Hunyuan-DiT',
  StableVideoDiffusionPipeline: 'Stable Video Diffusion'
}

/** A model folder of a pipeline Stepwise recognises but does not run yet (SD3, Flux, …). */
export class UnsupportedPipelineError extends ModelLoadError {
  /** `_class_name` from model_index.json. */
  readonly pipelineClass: string
  /** What the family is called, e.g. "Flux"; null for a class Stepwise does not know. */
  readonly familyName: string | null

  constructor(file: string, pipelineClass: string, familyName: string | null) {
    const supported = `supported: Stable Diffusion 1.x, 2.x, SD-Turbo, SDXL and SDXL-Turbo text-to-image, image-to-image and inpainting (${Object.keys(KNOWN_PIPELINE_CLASSES).join(', ')})`
    super(
      file,
      familyName === null
        ? `${file} names the pipeline "${pipelineClass}", which Stepwise cannot run (${supported})`
        : `${familyName} is not supported yet: ${file} names the pipeline "${pipelineClass}" (${supported})`
    )
    this.name = 'UnsupportedPipelineError'
    this.pipelineClass = pipelineClass
    this.familyName = familyName
  }
}

/** What `model_index.json` says about a model folder. */
export interface ModelIndex {
  path: string
  /** `_class_name` as written. */
  className: string
  pipelineClass: PipelineClassName
  family: PipelineFamily
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
    throw new UnsupportedPipelineError(
      file,
      className,
      UNSUPPORTED_PIPELINE_FAMILIES[className] ?? null
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
    legacyOnnx: className.startsWith('OnnxStableDiffusion'),
    // diffusers' SDXL pipeline registers this with default True when the index omits it.
    forceZerosForEmptyPrompt:
      typeof force === 'boolean' ? force : pipelineClass === 'StableDiffusionXLPipeline',
    components,
    raw
  }
}
