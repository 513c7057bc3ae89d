export * from './pipeline-types'
export * from './image-pipeline-types'
export { DiffusionPipeline } from './diffusion-pipeline'
export type { PipelineDefaults } from './diffusion-pipeline'
export { PipelineComponents } from './shared-components'
export { StableDiffusionPipeline } from './stable-diffusion-pipeline'
export { StableDiffusionXLPipeline } from './stable-diffusion-xl-pipeline'
export {
  StableDiffusionImg2ImgPipeline,
  StableDiffusionInpaintPipeline
} from './stable-diffusion-image-pipelines'
export {
  StableDiffusionXLImg2ImgPipeline,
  StableDiffusionXLInpaintPipeline
} from './stable-diffusion-xl-image-pipelines'
export {
  AutoPipelineForText2Image,
  AutoPipelineForImage2Image,
  AutoPipelineForInpainting
} from './auto-pipeline'
export { applyClassifierFreeGuidance, rescaleNoiseCfg, guidanceScaleEmbedding } from './guidance'
export { unscaleLatents, imagesToRgba } from './vae-decode'
export { preprocessImage, preprocessMask, isRgbaImage } from './image-processing'
export type { PipelineImageInput, PipelineMaskInput } from './image-processing'
export { lanczosResize } from './lanczos-resize'
export { getTimesteps } from './image-timesteps'
export type { StartTimesteps } from './image-timesteps'
