/**
 * Stepwise's diffusion engine, the npm package `@stepwise/engine`: diffusers' text-to-image,
 * image-to-image and inpainting pipelines, schedulers, seeds and step-end callbacks over
 * onnxruntime-node, named as in diffusers (camelCase), with its Hugging Face Hub client. It
 * imports nothing from Electron. Everything a user needs is exported here (docs/library.md).
 *
 * ```ts
 * const pipe = await AutoPipelineForText2Image.fromPretrained(modelDirOrHubId)
 * pipe.scheduler = DPMSolverMultistepScheduler.fromConfig(pipe.scheduler.config, { use_karras_sigmas: true })
 * const out = await pipe.call({ prompt, generator: new Generator().manualSeed(42),
 *   callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: 0.4 }) })
 * await saveImage(out.images[0], 'out.png')
 * // Later, even in another process: continue from the state after its last step.
 * const rest = await pipe.call({ resumeFrom: parseRunSnapshot(serializeRunSnapshot(out.snapshot!)) })
 * await pipe.release()
 * ```
 */

// Pipelines
export {
  AutoPipelineForText2Image,
  AutoPipelineForImage2Image,
  AutoPipelineForInpainting,
  StableDiffusionPipeline,
  StableDiffusionXLPipeline,
  StableDiffusionImg2ImgPipeline,
  StableDiffusionInpaintPipeline,
  StableDiffusionXLImg2ImgPipeline,
  StableDiffusionXLInpaintPipeline,
  DiffusionPipeline,
  PipelineComponents,
  preprocessImage,
  preprocessMask,
  isRgbaImage,
  lanczosResize,
  getTimesteps
} from './pipelines'
export type {
  StableDiffusionCallOptions,
  SDEncodePromptOptions,
  SDPromptEmbeds
} from './pipelines/stable-diffusion-pipeline'
export type {
  StableDiffusionXLCallOptions,
  SDXLEncodePromptOptions,
  SDXLPromptEmbeds
} from './pipelines/stable-diffusion-xl-pipeline'
export { PipelineComponent, VaeComponent } from './pipelines/pipeline-components'
export type {
  CallOptions,
  SDXLCallOptions,
  Img2ImgCallOptions,
  InpaintCallOptions,
  SDXLImg2ImgCallOptions,
  SDXLInpaintCallOptions,
  PipelineImageInput,
  PipelineMaskInput,
  StartTimesteps,
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

// Schedulers: the diffusers classes (DPMSolverMultistepScheduler, EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler, DDIMScheduler, PNDMScheduler, LMSDiscreteScheduler,
// LCMScheduler, UniPCMultistepScheduler, HeunDiscreteScheduler, KDPM2DiscreteScheduler,
// KDPM2AncestralDiscreteScheduler, DPMSolverSinglestepScheduler, DEISMultistepScheduler,
// TCDScheduler), their `Scheduler` base and `createScheduler`, as main/engine/schedulers exports
// them; `schedulerForRequest` applies a run's scheduler choice to a model's scheduler.
export * from './schedulers'
export {
  algorithmTypeOf,
  schedulerForRequest,
  schedulerFromConfig
} from './pipelines/scheduler-factory'
export type { SchedulerRequest } from './pipelines/scheduler-factory'

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
  LiveGuidanceCallback,
  CFGIntervalCallback,
  GUIDANCE_TENSOR_INPUTS,
  keepConditionalHalf,
  restoreGuidance,
  cutoffStepFor
} from './callbacks'
export type {
  CallbackKwargs,
  SDTensorInput,
  SDXLTensorInput,
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
  LiveCfgCutoffCallbackOptions,
  LiveCfgInterval,
  LiveGuidanceReport,
  LiveGuidanceCallbackOptions,
  CFGIntervalCallbackOptions,
  CFGIntervalConfig,
  GuidanceWindow,
  KeptAsideGuidance
} from './callbacks'

// Run snapshots: continue a stopped run, or branch from any step (`pipe.call({ resumeFrom })`)
export {
  serializeRunSnapshot,
  serializeRunSnapshots,
  parseRunSnapshot,
  parseRunSnapshots,
  RunSnapshotError,
  RUN_SNAPSHOT_FORMAT,
  RUN_SNAPSHOT_VERSION,
  READABLE_RUN_SNAPSHOT_VERSIONS,
  modelIdentity,
  checkSnapshotModel,
  checkSnapshotScheduler
} from './snapshots'
export type {
  RunSnapshot,
  SnapshotTensor,
  ModelIdentity,
  GeneratorSnapshot,
  GuidanceSnapshot
} from './snapshots'

// Random numbers
export { Generator, randn, rand, randnTensor } from './random'

// Previews: the linear latent → RGB tables, and the preview methods (linear, tiny decoder, the
// VAE every N steps) that PreviewCallback and `pipeline.previews` use.
export {
  latentsToRGB,
  SD1_LATENT_RGB_FACTORS,
  SDXL_LATENT_RGB_FACTORS,
  SD3_LATENT_RGB_FACTORS,
  SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS,
  latentRgbFactorsForFamily,
  PREVIEW_METHOD_NAMES,
  parsePreviewMethod,
  checkPreviewMethod,
  toPreviewMethod,
  formatPreviewMethod,
  previewMethodAtStep,
  PreviewRenderer
} from './previews'
export type {
  LatentRgbFactors,
  PreviewMapping,
  RgbaImage,
  PreviewMethod,
  PreviewMethodName,
  RenderedPreview
} from './previews'

// Model folders: reading and checking one without loading it, and execution providers
export {
  ModelLoadError,
  UnsupportedPipelineError,
  openModelFolder,
  checkModelFolder,
  EXECUTION_PROVIDERS,
  resolveExecutionProviders,
  autoExecutionProviders,
  providerAvailability,
  defaultIntraOpThreads,
  probeWebGpuAdapter,
  findModelPreviewDecoder,
  resolvePreviewDecoder
} from './models'
export type {
  ExecutionProviderName,
  PipelineFamily,
  ModelFolder,
  ModelFolderCheck,
  GraphCheck,
  FloatPrecision,
  ProviderAvailability,
  WebGpuAdapterProbe,
  SessionSettings,
  PreviewDecoderSource
} from './models'

// Memory: a run's peak estimated before anything is allocated, and the refusal when too large
export {
  estimateRunMemory,
  expectedRunGraphs,
  memoryRefusal,
  defaultMemoryLimit
} from './pipelines/memory-estimate'
export type { MemoryEstimate, RunGraphs, RunShape } from './pipelines/memory-estimate'
export { checkRunMemory, lowMemoryNote, vaeTilingNote } from './pipelines/memory-check'
export type {
  MemoryCheck,
  MemoryCheckOptions,
  MemoryMode,
  MemorySaving
} from './pipelines/memory-check'
export { tiledDecode, usesTiles, vaeTilingFor } from './pipelines/vae-tiling'
export type { VaeTiling } from './pipelines/vae-tiling'
export { readMemoryProfile } from './models/memory-profile'
export type { MemoryProfile } from './models/memory-profile'

// Image output: PNG files with text chunks (the A1111 `parameters` chunk among them), and the
// atomic file writer they use (whole new file or the old one, never a mix)
export {
  saveImage,
  encodePng,
  decodePng,
  decodeImage,
  isGreyscale,
  INPUT_IMAGE_LIMITS,
  readPngText,
  writePngFile,
  writeFileAtomic,
  removeLeftoverTempFiles
} from './output'
export type { DecodedPng, DecodedImage } from './output'

// onnxruntime's Tensor, the engine's tensor type (re-exported so that a project needs no direct
// dependency on onnxruntime-node to make one)
export { Tensor } from 'onnxruntime-node'

// A model folder's ONNX sessions, created lazily with the graph passes (for measuring one graph
// alone, as the real-scale benchmark does)
export { ComponentSessions } from './models/component-sessions'

// Loading progress per component (`fromPretrained`'s `onLoadProgress`)
export { componentLabel } from './models/load-progress'
export type { LoadProgressEvent, LoadProgressListener } from './models/load-progress'

// Graph passes at load (attention fusion, float32 upcast): what ran, per graph
export {
  fuseAttention,
  previewGraphPasses,
  graphPassCache,
  GRAPH_PASS_NAMES,
  ATTENTION_TOLERANCE
} from './models'
export type {
  AttentionFusion,
  GraphPassCheck,
  GraphPassName,
  GraphPassPreview,
  GraphPassReport
} from './models'

// Tensors: torch's shape helpers on onnxruntime tensors of any numeric type (results of chunk,
// cat, stack, narrow, slice, select and index own their values; reshape, unsqueeze and squeeze
// share them, like torch views), and float16 conversion
export { float16ToFloat32, float32ToFloat16 } from './tensor'
export type { FloatTensor } from './tensor'
export {
  cat,
  chunk,
  index,
  narrow,
  reshape,
  select,
  slice,
  squeeze,
  stack,
  unsqueeze
} from './tensor'

// The CLIP tokenizer, and prompt lengths against the model's limit (the app's token counter)
export { ClipTokenizer } from './tokenizer/clip-tokenizer'
export {
  isTruncationWarning,
  loadPromptTokenizer,
  promptLength,
  truncationNotice
} from './tokenizer/prompt-length'
export type { PromptLength } from './tokenizer/prompt-length'

// The Hugging Face Hub: downloads of ONNX pipelines (resumable, verified) and the Hugging Face
// cache that `fromPretrained('owner/name')` reads and fills
export {
  downloadModel,
  snapshotDownload,
  defaultHubCacheDir,
  repoCacheDir,
  HubError,
  DEFAULT_HUB_ENDPOINT,
  resolveHubEndpoint,
  COMPLETE_MARKER,
  MANIFEST_FILE,
  PART_SUFFIX,
  readDownloadStatus,
  selectPipelineFiles,
  selectPreviewDecoderFiles,
  ONNX_COMPONENTS,
  validateRepoId,
  validateRevision
} from './hub'
export type {
  DownloadDest,
  DownloadModelOptions,
  DownloadResult,
  DownloadEvent,
  PlannedFile,
  HubErrorCode,
  CompleteMarker,
  DownloadManifest,
  DownloadStatus,
  FileSelection,
  SkipReason,
  RepoFile,
  RetryOptions,
  SnapshotDownloadOptions,
  SnapshotLocation
} from './hub'

// Prompt text cleaning, as diffusers' CLIPTokenizer does it with ftfy (the tokenizers' default)
export { fixText } from './tokenizer/fix-text'
export type { PromptTextFixing } from './tokenizer/prompt-text'
