import type { Tensor } from 'onnxruntime-node'
import type { SDXLTensorInput } from '../callbacks/callback-types'
import type { ModelFolder } from '../models/model-folder'
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import { checkNumber, checkPromptValue, tensorOption } from './check-inputs'
import { DiffusionPipeline } from './diffusion-pipeline'
import type { PipelineComponent } from './pipeline-components'
import { openFolderFor, requireFamily } from './pipeline-loading'
import type {
  FromPretrainedOptions,
  OutputType,
  PipelineOutput,
  SDXLCallOptions
} from './pipeline-types'
import { SDXL_TENSOR_INPUTS, sdxlFamilyHooks } from './sdxl-family-hooks'
import { encodeSdxlPrompt, type SdxlPromptEmbeddings } from './sdxl-prompt-encoder'
import type { PipelineComponents } from './shared-components'

/** Call options of {@link StableDiffusionXLPipeline.call}: callbacks get the SDXL pipeline and its tensor names. */
export type StableDiffusionXLCallOptions<O extends OutputType = OutputType> = SDXLCallOptions<
  O,
  StableDiffusionXLPipeline,
  SDXLTensorInput
>

/** Options of {@link StableDiffusionXLPipeline.encodePrompt} (diffusers' SDXL `encode_prompt` arguments). */
export interface SDXLEncodePromptOptions {
  prompt?: string | string[] | null
  /** For the second text encoder; default `prompt`. */
  prompt2?: string | string[] | null
  /** Rows per prompt. Default 1. */
  numImagesPerPrompt?: number
  /** Also encode the negative (unconditional) branch. Default true. */
  doClassifierFreeGuidance?: boolean
  /** Default: zeros when the model sets `force_zeros_for_empty_prompt`, else `""`. */
  negativePrompt?: string | string[] | null
  negativePrompt2?: string | string[] | null
  promptEmbeds?: Tensor | null
  negativePromptEmbeds?: Tensor | null
  pooledPromptEmbeds?: Tensor | null
  negativePooledPromptEmbeds?: Tensor | null
  /** Hidden layers to skip from the end (the penultimate layer is used by default). */
  clipSkip?: number | null
  /** Prompt text cleaning for this encoding; default the pipeline's. */
  textFixing?: PromptTextFixing
}

/**
 * What {@link StableDiffusionXLPipeline.encodePrompt} returns: diffusers' `(prompt_embeds,
 * negative_prompt_embeds, pooled_prompt_embeds, negative_pooled_prompt_embeds)`, the negative ones
 * null without classifier-free guidance, plus the truncation warnings.
 */
export type SDXLPromptEmbeds = SdxlPromptEmbeddings

/**
 * diffusers' `StableDiffusionXLPipeline` over ONNX graphs: two text encoders (penultimate hidden
 * states concatenated, pooled `text_embeds`), micro-conditioning `time_ids`,
 * `force_zeros_for_empty_prompt`, optional `denoisingEnd`.
 *
 * Callback tensor names: `latents`, `prompt_embeds`, `add_text_embeds`, `add_time_ids` (all
 * CFG-concatenated `[uncond; cond]`, all written back).
 */
export class StableDiffusionXLPipeline extends DiffusionPipeline {
  readonly family = 'sdxl' as const
  readonly callbackTensorInputs: readonly SDXLTensorInput[] = SDXL_TENSOR_INPUTS
  /** The first CLIP text encoder; null for models without one (SDXL refiners). */
  readonly textEncoder: PipelineComponent | null
  /** The second (OpenCLIP bigG) text encoder, which also gives the pooled embedding. */
  readonly textEncoder2: PipelineComponent
  protected readonly className = 'StableDiffusionXLPipeline'
  protected readonly diffusersDefaultGuidance = 5.0

  protected constructor(
    source: ModelFolder | PipelineComponents,
    options?: FromPretrainedOptions,
    scheduler?: DiffusionPipeline['scheduler']
  ) {
    super(source, options, scheduler)
    this.textEncoder = this.encoderComponent('text_encoder')
    this.textEncoder2 = this.encoderComponent('text_encoder_2') as PipelineComponent
  }

  /**
   * diffusers' `from_pipe`: a text-to-image pipeline on another SDXL pipeline's components (its
   * sessions are shared, not loaded again) and scheduler.
   */
  static fromPipe(pipe: DiffusionPipeline): StableDiffusionXLPipeline {
    requireFamily(pipe, 'sdxl', 'StableDiffusionXLPipeline')
    return new StableDiffusionXLPipeline(pipe.components, {}, pipe.scheduler)
  }

  /** The first text encoder's tokenizer; null for models without that encoder. */
  get tokenizer(): ClipTokenizer | null {
    return this.tokenizerFor('text_encoder')
  }

  /** The second text encoder's tokenizer. */
  get tokenizer2(): ClipTokenizer {
    return this.tokenizerFor('text_encoder_2') as ClipTokenizer
  }

  /**
   * Opens a model: a local folder, or a Hugging Face Hub id (`owner/name`) downloaded into the
   * Hugging Face cache (see {@link FromPretrainedOptions}). The folder's `model_index.json` must
   * name an SDXL pipeline.
   */
  static async fromPretrained(
    modelDir: string,
    options: FromPretrainedOptions = {}
  ): Promise<StableDiffusionXLPipeline> {
    return StableDiffusionXLPipeline.create(await openFolderFor('sdxl', modelDir, options), options)
  }

  /** @internal Builds the pipeline on an opened folder (used by AutoPipelineForText2Image). */
  static async create(
    folder: ModelFolder,
    options: FromPretrainedOptions
  ): Promise<StableDiffusionXLPipeline> {
    const pipe = new StableDiffusionXLPipeline(folder, options)
    await pipe.init(options)
    return pipe
  }

  /**
   * diffusers' SDXL `encode_prompt`: both encoders' penultimate hidden states concatenated, the
   * pooled embedding of the second, and (with classifier-free guidance) the same for the negative
   * prompts, each repeated `numImagesPerPrompt` times. Pass the result to `call` as
   * `promptEmbeds`, `negativePromptEmbeds`, `pooledPromptEmbeds`, `negativePooledPromptEmbeds`.
   */
  async encodePrompt(options: SDXLEncodePromptOptions): Promise<SDXLPromptEmbeds> {
    const prompt = options.prompt ?? null
    const promptEmbeds = tensorOption(options.promptEmbeds, 'promptEmbeds')
    for (const name of ['prompt', 'prompt2', 'negativePrompt', 'negativePrompt2'] as const) {
      checkPromptValue(name, options[name])
    }
    if (prompt === null && promptEmbeds === null) {
      throw new Error('pass a prompt or promptEmbeds (neither was given)')
    }
    const pooledPromptEmbeds = tensorOption(options.pooledPromptEmbeds, 'pooledPromptEmbeds')
    if (promptEmbeds !== null && pooledPromptEmbeds === null) {
      throw new Error('promptEmbeds needs pooledPromptEmbeds too, from the same text encoder')
    }
    const numImagesPerPrompt = options.numImagesPerPrompt ?? 1
    checkNumber('numImagesPerPrompt', numImagesPerPrompt, 'positive-integer')
    const clipSkip = options.clipSkip ?? null
    if (clipSkip !== null) checkNumber('clipSkip', clipSkip, 'non-negative-integer')
    return encodeSdxlPrompt({
      pairs: await this.loader.loadEncoders(),
      prompt: promptEmbeds === null ? prompt : null,
      prompt2: options.prompt2 ?? null,
      negativePrompt: options.negativePrompt ?? null,
      negativePrompt2: options.negativePrompt2 ?? null,
      promptEmbeds,
      negativePromptEmbeds: tensorOption(options.negativePromptEmbeds, 'negativePromptEmbeds'),
      pooledPromptEmbeds,
      negativePooledPromptEmbeds: tensorOption(
        options.negativePooledPromptEmbeds,
        'negativePooledPromptEmbeds'
      ),
      numImagesPerPrompt,
      doClassifierFreeGuidance: options.doClassifierFreeGuidance ?? true,
      clipSkip,
      forceZerosForEmptyPrompt: this.folder.index.forceZerosForEmptyPrompt,
      textFixing: options.textFixing
    })
  }

  /** Generates images (diffusers' `__call__`). */
  async call<O extends OutputType = 'image'>(
    asked: StableDiffusionXLCallOptions<O>
  ): Promise<PipelineOutput<O>> {
    const options = this.callOptions(asked)
    return this.generate(
      options,
      sdxlFamilyHooks(this, options, SDXL_TENSOR_INPUTS, this.className, null),
      asked
    )
  }
}
