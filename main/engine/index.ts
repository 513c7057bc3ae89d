/**
 * Stepwise's diffusion engine: diffusers' text-to-image pipelines, schedulers, seeds and
 * step-end callbacks over onnxruntime-node, named as in diffusers (camelCase). It imports
 * nothing from Electron.
 *
 * ```ts
 * const pipe = await AutoPipelineForText2Image.fromPretrained(modelDir, { executionProviders: ['cpu'] })
 * pipe.scheduler = DPMSolverMultistepScheduler.fromConfig(pipe.scheduler.config, { use_karras_sigmas: true })
 * const out = await pipe.call({ prompt, generator: new Generator().manualSeed(42),
 *   callbackOnStepEnd: new SDXLCFGCutoffCallback({ cutoffStepRatio: 0.4 }) })
 * await pipe.release()
 * ```
 */

// Pipelines
export {
  AutoPipelineForText2Image,
  StableDiffusionPipeline,
  StableDiffusionXLPipeline,
  DiffusionPipeline
} from './pipelines'
export type {
  CallOptions,
  SDXLCallOptions,
  FromPretrainedOptions,
  OutputType,
  OutputImages,
  PipelineOutput,
  PipelineDefaults,
  PipelinePhase,
  StepEndCallback,
  StepEndInfo,
  StepRecord
} from './pipelines'

// Schedulers: the seven diffusers classes (DPMSolverMultistepScheduler, EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler, DDIMScheduler, PNDMScheduler, LMSDiscreteScheduler,
// LCMScheduler), their `Scheduler` base and `createScheduler`, as main/engine/schedulers exports them.
export * from './schedulers'

// Callbacks
export {
  PipelineCallback,
  MultiPipelineCallbacks,
  SDCFGCutoffCallback,
  SDXLCFGCutoffCallback,
  SD3CFGCutoffCallback,
  PreviewCallback,
  StopCallback,
  LiveCfgCutoffCallback,
  cutoffStepFor
} from './callbacks'
export type {
  CallbackKwargs,
  PipelineRunState,
  StepState,
  StepEndCallbackFn,
  PipelineCallbackOptions,
  PipelineCallbackConfig,
  PreviewFrame,
  PreviewCallbackOptions,
  StopCallbackOptions,
  LiveCfgCutoff,
  LiveCfgCutoffReport,
  LiveCfgCutoffCallbackOptions
} from './callbacks'

// Random numbers
export { Generator, randn, rand, randnTensor } from './random'

// Previews
export {
  latentsToRGB,
  SD1_LATENT_RGB_FACTORS,
  SDXL_LATENT_RGB_FACTORS,
  SD3_LATENT_RGB_FACTORS,
  SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS,
  latentRgbFactorsForFamily
} from './previews'
export type { LatentRgbFactors, PreviewMapping, RgbaImage } from './previews'

// Models
export { ModelLoadError, EXECUTION_PROVIDERS, resolveExecutionProviders } from './models'
export type { ExecutionProviderName, ModelFamily, SessionSettings } from './models'

// Graph passes at load (attention fusion, float32 upcast): what ran, per graph
export { fuseAttention, previewGraphPasses, GRAPH_PASS_NAMES, ATTENTION_TOLERANCE } from './models'
export type {
  AttentionFusion,
  GraphPassCheck,
  GraphPassName,
  GraphPassPreview,
  GraphPassReport
} from './models'

// Tensors
export type { FloatTensor } from './tensor'
