import { promises as fs } from 'node:fs'
import path from 'node:path'
import {
  parseTextEncoderConfig,
  parseUnetConfig,
  parseVaeConfig,
  readComponentConfig,
  type TextEncoderConfig,
  type UnetConfig,
  type VaeConfig
} from './component-configs'
import { ModelLoadError } from './model-load-error'
import { readModelIndex, type PipelineFamily, type ModelIndex } from './model-index'
import { fileExists, readJsonObject, type JsonObject } from './read-json'
import { sizeMultipleOf, unetDownsamplings } from './size-multiple'
import { findModelPreviewDecoder, type PreviewDecoderSource } from './preview-decoder-source'
import { componentsWithFp16Variant } from './precision-variant'
import { readStepwiseInfo, type StepwiseModelInfo } from './stepwise-config'

/**
 * The ONNX graphs a pipeline runs: the VAE encoder only when it starts from an image, and
 * `preview_decoder`, the optional tiny (TAESD-class) decoder of previews, only when a preview
 * asks for it.
 */
export type OnnxComponent =
  'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'preview_decoder'

/**
 * A diffusers/optimum ONNX model folder, read and checked but with no session created yet:
 * `model_index.json` (which pipeline), the component configs (optional: diffusers' legacy
 * ONNX layout has none), `scheduler/scheduler_config.json`, optional `stepwise.json`, and the
 * existence of every graph file the pipeline needs.
 */
export interface ModelFolder {
  dir: string
  index: ModelIndex
  family: PipelineFamily
  /** The graphs a text-to-image run needs, in load order (never the optional preview decoder). */
  components: OnnxComponent[]
  /**
   * `vae_encoder/model.onnx` exists: image-to-image and inpainting can run (they encode the
   * input image); text-to-image never needs it.
   */
  hasVaeEncoder: boolean
  /** Tokenizer folder names, paired with `textEncoders` by position. */
  tokenizers: string[]
  textEncoders: ('text_encoder' | 'text_encoder_2')[]
  unetConfig: UnetConfig
  vaeConfig: VaeConfig
  textEncoderConfigs: Partial<Record<'text_encoder' | 'text_encoder_2', TextEncoderConfig>>
  schedulerConfig: JsonObject
  stepwise: StepwiseModelInfo | null
  /**
   * Widths and heights must be multiples of this many pixels: the VAE scale factor times 2 per
   * down-sampling of the UNet (16 for the shipped model, 64 for SD 1.x/2.x, 32 for SDXL); see
   * size-multiple.ts.
   */
  sizeMultiple: number
  /** The folder's own tiny preview decoder (`preview_decoder/model.onnx`), if it has one. */
  previewDecoder: PreviewDecoderSource | null
  /** Things the user should know (e.g. a fallback VAE scale); reported with every result. */
  warnings: string[]
  /**
   * Graphs that also have a float16 variant (`model.fp16.onnx`) beside `model.onnx`: the sessions
   * load the precision that is faster on their provider (see precision-variant.ts).
   */
  fp16Variants?: readonly OnnxComponent[]
}

/** The PyTorch weight file of a diffusers component folder, if that is what it holds. */
async function torchWeightsIn(dir: string): Promise<string | null> {
  const names = await fs.readdir(dir).catch(() => [] as string[])
  return (
    names.find((n) =>
      /^(diffusion_pytorch_model|model|pytorch_model)(\.fp16)?\.(safetensors|bin)$/.test(n)
    ) ?? null
  )
}

/** Path of a component's graph file. */
export function componentModelPath(dir: string, component: string): string {
  return path.join(dir, component, 'model.onnx')
}

/** Reads and checks a model folder. Throws {@link ModelLoadError} naming the first problem. */
export async function openModelFolder(dir: string): Promise<ModelFolder> {
  const resolved = path.resolve(dir)
  const stat = await fs.stat(resolved).catch(() => null)
  if (stat === null || !stat.isDirectory()) {
    throw new ModelLoadError(
      resolved,
      `The model folder ${resolved} does not exist or is not a folder`
    )
  }
  const index = await readModelIndex(resolved)
  const family = index.family
  const listed = (name: string): boolean => index.components.includes(name)

  // SDXL normally has both encoders; a folder whose index sets text_encoder to [null, null]
  // (as SDXL refiners do) uses only the second one, like diffusers.
  const hasFirstEncoder =
    listed('text_encoder') ||
    (!('text_encoder' in index.raw) &&
      (await fileExists(componentModelPath(resolved, 'text_encoder'))))
  const textEncoders: ModelFolder['textEncoders'] =
    family === 'sdxl'
      ? hasFirstEncoder
        ? ['text_encoder', 'text_encoder_2']
        : ['text_encoder_2']
      : ['text_encoder']
  const tokenizers = textEncoders.map((e) => (e === 'text_encoder' ? 'tokenizer' : 'tokenizer_2'))
  const components: OnnxComponent[] = [...textEncoders, 'unet', 'vae_decoder']

  for (const component of components) {
    const file = componentModelPath(resolved, component)
    if (!(await fileExists(file))) {
      const torch = await torchWeightsIn(path.join(resolved, component))
      if (torch !== null) {
        throw new ModelLoadError(
          file,
          `${component}/model.onnx is missing: ${resolved} is a PyTorch diffusers folder (${component}/${torch}), not an ONNX export; export it with \`optimum-cli export onnx --model <repo or folder> <output folder>\` and add the output folder`
        )
      }
      throw new ModelLoadError(
        file,
        `${component}/model.onnx is missing: ${file} does not exist (a ${index.pipelineClass} needs ${components.map((c) => `${c}/model.onnx`).join(', ')})`
      )
    }
  }
  for (const tokenizer of tokenizers) {
    const tdir = path.join(resolved, tokenizer)
    const tstat = await fs.stat(tdir).catch(() => null)
    if (tstat === null || !tstat.isDirectory()) {
      throw new ModelLoadError(
        tdir,
        `The tokenizer folder ${tokenizer}/ is missing from ${resolved}`
      )
    }
  }

  const unetFile = path.join(resolved, 'unet', 'config.json')
  const unetConfig = parseUnetConfig(await readComponentConfig(resolved, 'unet'), unetFile)
  // optimum keeps the VAE config beside each half; diffusers' torch layout has vae/config.json.
  let vaeRaw = await readComponentConfig(resolved, 'vae_decoder')
  let vaeFile = path.join(resolved, 'vae_decoder', 'config.json')
  if (vaeRaw === null) {
    vaeRaw = await readComponentConfig(resolved, 'vae')
    vaeFile = vaeRaw === null ? '' : path.join(resolved, 'vae', 'config.json')
  }
  const vaeConfig = parseVaeConfig(vaeRaw, vaeFile, family, index.legacyOnnx)
  const textEncoderConfigs: ModelFolder['textEncoderConfigs'] = {}
  for (const e of textEncoders) {
    textEncoderConfigs[e] = parseTextEncoderConfig(
      await readComponentConfig(resolved, e),
      path.join(resolved, e, 'config.json')
    )
  }
  const schedulerConfig = await readJsonObject(
    path.join(resolved, 'scheduler', 'scheduler_config.json'),
    'The scheduler config'
  )
  const stepwise = await readStepwiseInfo(resolved)
  const hasVaeEncoder = await fileExists(componentModelPath(resolved, 'vae_encoder'))
  const downsamplings = await unetDownsamplings(unetConfig, componentModelPath(resolved, 'unet'))
  const previewDecoder = await findModelPreviewDecoder(resolved)
  return {
    dir: resolved,
    index,
    family,
    components,
    hasVaeEncoder,
    tokenizers,
    textEncoders,
    unetConfig,
    vaeConfig,
    textEncoderConfigs,
    schedulerConfig,
    stepwise,
    sizeMultiple: sizeMultipleOf(vaeConfig.scaleFactor, downsamplings),
    previewDecoder,
    warnings: [...vaeConfig.warnings],
    fp16Variants: (await componentsWithFp16Variant(resolved, components)) as OnnxComponent[]
  }
}
