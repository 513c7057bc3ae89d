import type { ComponentSessions } from '../models/component-sessions'
import type { ModelFolder } from '../models/model-folder'
import type { OnnxModel } from '../models/onnx-model'
import { describeTextEncoder } from '../models/text-encoder-io'
import { describeUnet, type UnetIo } from '../models/unet-io'
import { describeVaeDecoder, type VaeDecoderIo } from '../models/vae-decoder-io'
import { describeVaeEncoder, type VaeEncoderIo } from '../models/vae-encoder-io'
import { ClipTokenizer } from '../tokenizer/clip-tokenizer'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import path from 'node:path'
import type { TextEncoderPair } from './text-encoding'

/** The graphs (and tokenizers) of a pipeline, loaded and checked against what the pipeline feeds. */
export interface LoadedModels {
  encoders: TextEncoderPair[]
  unet: { model: OnnxModel; io: UnetIo }
  vae: { model: OnnxModel; io: VaeDecoderIo } | null
  /** Loaded only for runs that start from an image. */
  vaeEncoder: { model: OnnxModel; io: VaeEncoderIo } | null
}

/**
 * Loads tokenizers once per pipeline (they hold no native memory) and keeps them across
 * `release()`; sessions come from {@link ComponentSessions} and are described (validated) on
 * every load, so a released-and-reloaded graph is checked again.
 */
export class ModelLoader {
  private tokenizers: Promise<ClipTokenizer[]> | null = null

  constructor(
    private readonly folder: ModelFolder,
    private readonly sessions: ComponentSessions,
    private readonly textFixing: PromptTextFixing | undefined = undefined
  ) {}

  /** Tokenizer of each text encoder, in order. */
  loadTokenizers(): Promise<ClipTokenizer[]> {
    if (this.tokenizers === null) {
      this.tokenizers = Promise.all(
        this.folder.tokenizers.map((t, k) => {
          const encoder = this.folder.textEncoders[k] as 'text_encoder' | 'text_encoder_2'
          const positions = this.folder.textEncoderConfigs[encoder]?.maxPositionEmbeddings ?? 77
          return ClipTokenizer.fromFolder(path.join(this.folder.dir, t), positions, {
            textFixing: this.textFixing
          })
        })
      )
      this.tokenizers.catch(() => {
        this.tokenizers = null
      })
    }
    return this.tokenizers
  }

  /** The tokenizer + text-encoder pairs (sessions created on first use), for prompt encoding. */
  async loadEncoders(): Promise<TextEncoderPair[]> {
    const sdxl = this.folder.family === 'sdxl'
    const tokenizers = await this.loadTokenizers()
    await this.sessions.loadInOrder(this.folder.textEncoders)
    const encoders: TextEncoderPair[] = []
    for (const [k, name] of this.folder.textEncoders.entries()) {
      const model = await this.sessions.get(name)
      const io = describeTextEncoder(model, { hiddenStates: sdxl, lastHiddenState: !sdxl })
      encoders.push({ tokenizer: tokenizers[k] as ClipTokenizer, model, io })
    }
    return encoders
  }

  /**
   * Everything a call needs; the VAE decoder only when images are wanted, the encoder only when
   * the call starts from an image.
   */
  async load(withDecoder: boolean, withEncoder = false): Promise<LoadedModels> {
    // Created in one numbered sequence first, so progress says "UNet (2 of 3)".
    await this.sessions.loadInOrder([
      ...this.folder.textEncoders,
      'unet',
      ...(withDecoder ? (['vae_decoder'] as const) : []),
      ...(withEncoder ? (['vae_encoder'] as const) : [])
    ])
    const encoders = await this.loadEncoders()
    const unetModel = await this.sessions.get('unet')
    const unet = { model: unetModel, io: describeUnet(unetModel, this.folder.family) }
    let vae: LoadedModels['vae'] = null
    if (withDecoder) {
      const model = await this.sessions.get('vae_decoder')
      vae = { model, io: describeVaeDecoder(model) }
    }
    let vaeEncoder: LoadedModels['vaeEncoder'] = null
    if (withEncoder) {
      const model = await this.sessions.get('vae_encoder')
      vaeEncoder = { model, io: describeVaeEncoder(model) }
    }
    return { encoders, unet, vae, vaeEncoder }
  }
}
