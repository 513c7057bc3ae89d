import type { SchedulerClassName } from '../params'
import type { PreviewMethodName } from '../preview-method'

/**
 * Models as the app lists them without loading them: their family, defaults, precision, preview
 * decoder, graphs, and the folders that could not be used.
 */

/** Model families Stepwise knows. */
export type ModelFamily = 'sd1' | 'sd2' | 'sdxl'

/** A model's own defaults, read from its configs (and its stepwise.json, if any). */
export interface ModelDefaults {
  numInferenceSteps: number
  guidanceScale: number
  width: number
  height: number
  scheduler: SchedulerClassName
  /**
   * Whether classifier-free guidance runs with these defaults: guidance above 1 and a UNet
   * without a guidance embedding. Turbo models default to guidance 0, so CFG is off.
   */
  cfg: boolean
  /**
   * Width and height must be multiples of this (the VAE's 8 times 2 per down-sampling of the
   * UNet: 16 for the shipped model, 64 for SD 1.x/2.x, 32 for SDXL); see shared/size-multiple.ts.
   */
  sizeMultiple: number
}

/** Where a model in the list comes from: the app's model folders, or the user's library. */
export type ModelSource = 'built-in' | 'added' | 'downloaded'

/** Float precision of a model's graphs. */
export type ModelPrecision = 'fp32' | 'fp16' | 'mixed'

/** The tiny (TAESD-class) decoder a model's `tiny` previews use. */
export interface PreviewDecoderInfo {
  /**
   * `model`: the model folder's own `preview_decoder/model.onnx`; `downloaded`: a TAESD decoder
   * downloaded from the Hub, used by every model of its family that has none of its own.
   */
  source: 'model' | 'downloaded'
  /** How to name it: `preview_decoder/model.onnx`, or the download's name and repository. */
  label: string
  /** Its folder on disk, for display (and, in main, for loading it). */
  path: string
  /** Downloads: the Hub repository it came from. */
  repo?: string
}

/** A Hub download that would give a model tiny previews (the Models panel offers it). */
export interface PreviewDecoderOffer {
  /** Its key among the known downloads (`knownModels`). */
  key: string
  name: string
  repo: string
  approxDownloadMB: number
}

/** How a model previews its steps (shared/preview-method.ts). */
export interface ModelPreviews {
  /** The methods it offers, cheapest first; `tiny` only when it has a tiny decoder. */
  methods: PreviewMethodName[]
  /** What a run that asks for no method uses: `tiny` where a decoder is present, else `linear`. */
  defaultMethod: PreviewMethodName
  /** The tiny decoder, or null. */
  decoder: PreviewDecoderInfo | null
  /** SD 1.x/2.x and SDXL models without a decoder: the TAESD download that fits, else null. */
  offer: PreviewDecoderOffer | null
}

/** A model the user can pick. */
export interface ModelSummary {
  /** Opaque id to pass as `GenerateParams.modelId` (derived from the folder name). */
  id: string
  name: string
  description: string
  family: ModelFamily
  /** The family as people say it: "SD 1.x", "SD 2.x", "SD-Turbo", "SDXL", "SDXL-Turbo". */
  familyLabel: string
  /** A distilled few-step model (SD-Turbo, SDXL-Turbo): defaults are 1 step without guidance. */
  turbo: boolean
  /** `_class_name` of its model_index.json. */
  pipelineClass: string
  precision: ModelPrecision
  /**
   * What the precision costs where it runs (fp16 on the CPU), or how a folder holding both
   * precisions is loaded (shared/precision-cost.ts); absent for plain fp32.
   */
  precisionNote?: string
  /** Folder on disk, for display. */
  path: string
  defaults: ModelDefaults
  sizeBytes: number
  /** Found in one of the app's configured model folders (shipped or given on the command line). */
  builtIn: boolean
  /** Built-in, added by the user, or downloaded; only library entries can be removed. */
  source: ModelSource
  /** Its preview methods, the default one, and its tiny decoder. */
  previews: ModelPreviews
}

/** One ONNX graph of a model, as its file declares it. */
export interface ModelGraphInfo {
  component: string
  sizeBytes: number
  precision: ModelPrecision
  inputs: { name: string; type: string; shape: (number | string)[] }[]
  outputs: { name: string; type: string; shape: (number | string)[] }[]
}

/** Everything known about one model without loading it. */
export interface ModelInfo extends ModelSummary {
  /** optimum's layout, or diffusers' older OnnxStableDiffusionPipeline export. */
  layout: 'optimum' | 'diffusers-legacy'
  graphs: ModelGraphInfo[]
  /**
   * What the engine's graph passes do at load on the CPU, one line per graph: "unet: attention
   * fused (16 of 16)", "unet: attention fusable (16 of 16), checked at first load", or why not.
   */
  graphPasses?: string[]
  /** Config oddities (e.g. a VAE without scaling_factor, an fp16 VAE that asks for fp32). */
  warnings: string[]
  /** Downloads: where it came from. */
  repo?: string
  revision?: string
}

/** A folder that is in the app's folders or the library but cannot be used now. */
export interface ModelProblem {
  /** The library id (removable), or null for a folder inside the app's model folders. */
  id: string | null
  path: string
  source: ModelSource
  /** What is wrong, naming the file (or the unsupported pipeline). */
  message: string
  /** `_class_name` when the folder names a pipeline Stepwise does not run (SD3, Flux, …). */
  pipelineClass: string | null
}

/** The models and the folders that could not be used. */
export interface ModelLibraryListing {
  models: ModelSummary[]
  problems: ModelProblem[]
}
