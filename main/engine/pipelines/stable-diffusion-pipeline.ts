import type { Tensor } from 'onnxruntime-node'
import type { SDTensorInput } from '../callbacks/callback-types'
import type { ModelFolder } from '../models/model-folder'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import { checkNumber, checkPromptValue, tensorOption } from './check-inputs'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { PipelineComponent } from './pipeline-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type {
  CallOptions,
  FromPretrainedOptions,
  OutputType,
  PipelineOutput
} from './pipeline-types'
import { clipSkipUnsupported, SD_TENSOR_INPUTS, sdFamilyHooks } from './sd-family-hooks'
import { encodeSdPrompt } from './sd-prompt-encoder'
import type { PipelineComponents } from './shared-components'
import type { TextEncoderPair } from './text-encoding'

/** Call options of {@link StableDiffusionPipeline.call}: callbacks get the SD pipeline and its tensor names. */
export type StableDiffusionCallOptions<O extends OutputType = OutputType> = CallOptions<
  O,
  StableDiffusionPipeline,
  SDTensorInput
>

/** Options of {@link StableDiffusionPipeline.encodePrompt} (diffusers' `encode_prompt` arguments). */
export interface SDEncodePromptOptions {
  prompt?: string | string[] | null
  /** Rows per prompt. Default 1. */
  numImagesPerPrompt?: number
  /** Also encode the negative (unconditional) branch. Default true. */
  doClassifierFreeGuidance?: boolean
  /** Default `""` per prompt (with classifier-free guidance). */
  negativePrompt?: string | string[] | null
  /** Given instead of `prompt`: only repeated per image. */
  promptEmbeds?: Tensor | null
  negativePromptEmbeds?: Tensor | null
  /** Not supported with ONNX text encoders (see `call`). */
  clipSkip?: number | null
  /** Prompt text cleaning for this encoding; default the pipeline's. */
  textFixing?: PromptTextFixing
}

/** What {@link StableDiffusionPipeline.encodePrompt} returns: diffusers' `(prompt_embeds, negative_prompt_embeds)`. */
export interface SDPromptEmbeds {
  /** `[prompts × numImagesPerPrompt, tokens, width]`, the text encoder's last hidden state. */
  promptEmbeds: Tensor
  /** The same shape for the negative prompts; null without classifier-free guidance. */
  negativePromptEmbeds: Tensor | null
  /** Prompts cut to the encoder's length (diffusers logs them). */
  warnings: string[]
}

/**
 * diffusers' `StableDiffusionPipeline` (SD 1.x / 2.x / SD-Turbo) over ONNX graphs.
 *
 * ```ts
 * const pipe = await StableDiffusionPipeline.fromPretrained(dir, { executionProviders: ['cpu'] })
 * const out = await pipe.call({ prompt: 'a red circle', generator: new Generator().manualSeed(42) })
 * ```
 *
 * Callback tensor names ({@link SDTensorInput}): `latents`, `prompt_embeds` (the
 * CFG-concatenated `[uncond; cond]` embeddings), `negative_prompt_embeds` (read-only in effect,
 * as in diffusers). Components: `tokenizer`, `textEncoder`, `unet`, `vae`, `scheduler`.
 */
export class StableDiffusionPipeline extends DiffusionPipeline {
  readonly family = 'sd' as const
  readonly callbackTensorInputs: readonly SDTensorInput[] = SD_TENSOR_INPUTS
  /** The CLIP text encoder (`pipe.textEncoder.config`, `pipe.textEncoder.run({ input_ids })`). */
  readonly textEncoder: PipelineComponent
  protected readonly className = 'StableDiffusionPipeline'
  protected readonly diffusersDefaultGuidance = 7.5

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
    this.textEncoder = this.encoderComponent('text_encoder') as PipelineComponent
  }

  /**
   * diffusers' `from_pipe`: a text-to-image pipeline on another pipeline's components (its
   * sessions are shared, not loaded again) and scheduler.
   */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionPipeline {
    requireFamily(pipe, 'sd', 'StableDiffusionPipeline')
    return new StableDiffusionPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** The CLIP tokenizer (`pipe.tokenizer.encodeBatch(texts)`, `pipe.tokenizer.modelMaxLength`). */
  get tokenizer(): ClipTokenizer {
    return this.tokenizerFor('text_encoder') as ClipTokenizer
  }

  /**
   * Opens a model: a local folder, or a Hugging Face Hub id (`owner/name`) downloaded into the
   * Hugging Face cache (see {@link FromPretrainedOptions}). The folder's `model_index.json` must
   * name a Stable Diffusion 1.x/2.x pipeline.
   */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionPipeline> {
    return StableDiffusionPipeline.create(await openFolderFor('sd', modelDir, options), options)
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForText2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionPipeline> {
    const pipe = new StableDiffusionPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /**
   * diffusers' `encode_prompt`: the text encoder's last hidden state for the prompts and (with
   * classifier-free guidance) the negative prompts, each repeated `numImagesPerPrompt` times. Pass
   * the result to `call` as `promptEmbeds` / `negativePromptEmbeds`, possibly changed.
   */
  async encodePrompt(options: SDEncodePromptOptions): Promise<SDPromptEmbeds> {
    const prompt = options.prompt ?? null
    const negativePrompt = options.negativePrompt ?? null
    const promptEmbeds = tensorOption(options.promptEmbeds, 'promptEmbeds')
    const negativePromptEmbeds = tensorOption(options.negativePromptEmbeds, 'negativePromptEmbeds')
    checkPromptValue('prompt', prompt)
    checkPromptValue('negativePrompt', negativePrompt)
    if (prompt === null && promptEmbeds === null) {
      throw new Error('pass a prompt or promptEmbeds (neither was given)')
    }
    const numImagesPerPrompt = options.numImagesPerPrompt ?? 1
    checkNumber('numImagesPerPrompt', numImagesPerPrompt, 'positive-integer')
    if (options.clipSkip !== undefined && options.clipSkip !== null) {
      throw new Error(clipSkipUnsupported(this.className))
    }
    const [pair] = await this.loader.loadEncoders()
    return encodeSdPrompt({
      pair: pair as TextEncoderPair,
      prompt: promptEmbeds === null ? prompt : null,
      negativePrompt,
      promptEmbeds,
      negativePromptEmbeds,
      numImagesPerPrompt,
      doClassifierFreeGuidance: options.doClassifierFreeGuidance ?? true,
      textFixing: options.textFixing
    })
  }

  /** Generates images (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    asked: StableDiffusionCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    const options = this.callOptions(asked)
    return this.generate(options, sdFamilyHooks(options, SD_TENSOR_INPUTS, this.className), asked)
  }
}
