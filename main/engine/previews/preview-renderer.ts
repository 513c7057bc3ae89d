import { performance } from 'node:perf_hooks'
import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import type { ComponentSessions } from '../models/component-sessions'
import { ModelLoadError } from '../models/model-load-error'
import type { OnnxModel } from '../models/onnx-model'
import { resolvePreviewDecoder, type PreviewDecoderSource } from '../models/preview-decoder-source'
import { describeVaeDecoder, type VaeDecoderIo } from '../models/vae-decoder-io'
import { decodeLatents } from '../pipelines/vae-decode'
import { sliceRows } from '../tensor/batch'
import { float32Data, floatTensor, formatDims } from '../tensor/float-tensor'
import type { LatentRgbFactors } from './latent-rgb-factors'
import { latentsToRGB, type RgbaImage } from './latents-to-rgb'
import type { PreviewMethod, PreviewMethodName } from './preview-method'

/** One rendered preview: the picture, the method that made it and what it cost. */
export interface RenderedPreview {
  image: RgbaImage
  method: PreviewMethodName
  /** Wall time of making the picture (decoder run and conversion to RGBA), in milliseconds. */
  ms: number
}

/**
 * Makes preview pictures of a pipeline's latents by each {@link PreviewMethod}: the linear table,
 * the tiny decoder, the model's VAE decoder. The two decoders are sessions of the pipeline's
 * {@link ComponentSessions} (`preview_decoder`, `vae_decoder`): created on first use, freed by
 * the pipeline's `release()`. Pipelines expose theirs as `pipeline.previews`; callbacks reach it
 * through `PipelineRunState.previews`.
 */
export class PreviewRenderer {
  private external: PreviewDecoderSource | null = null
  private readonly described = new WeakMap<OnnxModel, VaeDecoderIo>()

  constructor(
    private readonly sessions: ComponentSessions,
    private readonly vaeConfig: VaeConfig,
    /** The model folder's own tiny decoder (`preview_decoder/model.onnx`), if any. */
    private readonly modelDecoder: PreviewDecoderSource | null,
    /** The table `linear` uses when a call gives none (the pipeline's). */
    private readonly defaultFactors: () => LatentRgbFactors,
    /** The model, for messages (its folder). */
    private readonly modelName: string
  ) {}

  /** The tiny decoder in use: one set with {@link setTinyDecoder}, else the model folder's own. */
  get tinyDecoder(): PreviewDecoderSource | null {
    return this.external ?? this.modelDecoder
  }

  /**
   * Uses the tiny decoder at `decoderPath` (a TAESD folder in the Hub's `vae_decoder/model.onnx`
   * layout, a folder with `preview_decoder/model.onnx` or `model.onnx`, or a `.onnx` file)
   * instead of the model folder's own; null goes back to the folder's own (if any). The path is
   * checked now; the session is created at the first tiny preview.
   */
  async setTinyDecoder(decoderPath: string | null): Promise<PreviewDecoderSource | null> {
    const source = decoderPath === null ? null : await resolvePreviewDecoder(decoderPath)
    this.external = source
    const used = this.tinyDecoder
    await this.sessions.setGraphFile(
      'preview_decoder',
      used === null || used.origin === 'model' ? null : { file: used.file, label: used.label }
    )
    return used
  }

  /** The methods this model can preview with: `tiny` only when it has a tiny decoder. */
  get availableMethods(): PreviewMethodName[] {
    return this.tinyDecoder === null ? ['linear', 'vae'] : ['linear', 'tiny', 'vae']
  }

  /** The model's default: `tiny` where a tiny decoder is present, else `linear`. */
  get defaultMethod(): PreviewMethod {
    return this.tinyDecoder === null ? { name: 'linear' } : { name: 'tiny' }
  }

  /**
   * A preview of the first image of `latents` (`[B, C, h, w]`, the pipeline's latent space) by
   * `method`: `linear` at latent resolution (with `factors`, else the pipeline's table), `tiny`
   * and `vae` at full resolution.
   */
  async render(
    latents: Tensor,
    method: PreviewMethodName,
    factors?: LatentRgbFactors
  ): Promise<RenderedPreview> {
    const start = performance.now()
    let image: RgbaImage
    if (method === 'linear') {
      image = latentsToRGB(latents, factors ?? this.defaultFactors())
    } else {
      const first = firstImage(latents)
      image = method === 'tiny' ? await this.decodeTiny(first) : await this.decodeVae(first)
    }
    return { image, method, ms: performance.now() - start }
  }

  private async decodeVae(latents: Tensor): Promise<RgbaImage> {
    const model = await this.sessions.get('vae_decoder')
    // The final image's own path: the same unscaling, session and post-processing.
    const decoded = await decodeLatents(model, this.describe(model), this.vaeConfig, latents)
    return decoded.images[0] as RgbaImage
  }

  private async decodeTiny(latents: Tensor): Promise<RgbaImage> {
    const source = this.tinyDecoder
    if (source === null) {
      throw new Error(
        `the tiny preview needs a TAESD-class decoder and ${this.modelName} has none: add preview_decoder/model.onnx to the model folder, or give a TAESD folder (vae_decoder/model.onnx) as the preview decoder; the linear and vae previews need none`
      )
    }
    const model = await this.sessions.get('preview_decoder')
    const io = this.describe(model)
    const channels = latents.dims[1] as number
    const declared = model.input(io.input).shape[1]
    const expected = typeof declared === 'number' && declared > 0 ? declared : source.latentChannels
    if (expected !== null && expected !== channels) {
      throw new ModelLoadError(
        source.file,
        `${source.label} decodes ${expected}-channel latents but this model's latents have ${channels} channels: it is a tiny decoder for another model family`
      )
    }
    const feed = scaleForDecoder(latents, source)
    const result = await model.run({ [io.input]: feed }, [io.output])
    const out = result.outputs[io.output] as Tensor
    if (out.dims.length !== 4 || out.dims[1] !== 3) {
      throw new ModelLoadError(
        source.file,
        `${source.label} returned shape ${formatDims(out.dims)}; a preview decoder must return [batch, 3, height, width] pixels`
      )
    }
    return firstImageToRgba(out)
  }

  private describe(model: OnnxModel): VaeDecoderIo {
    let io = this.described.get(model)
    if (io === undefined) {
      io = describeVaeDecoder(model)
      this.described.set(model, io)
    }
    return io
  }
}

function firstImage(latents: Tensor): Tensor {
  if (latents.dims.length === 3) return floatTensor(float32Data(latents), [1, ...latents.dims])
  if (latents.dims.length !== 4) {
    throw new Error(
      `a preview needs latents shaped [B, C, h, w] or [C, h, w], got ${formatDims(latents.dims)}`
    )
  }
  return latents.dims[0] === 1 ? latents : sliceRows(latents, 0, 1)
}

/**
 * The first image of a `[B, 3, H, W]` decoder output in [−1, 1] as RGBA bytes:
 * `(x + 1) · 127.5`, clamped and rounded half to even by `Uint8ClampedArray`. The same mapping as
 * the final image's post-processing in double instead of float32 arithmetic (a byte differs by
 * at most 1, where float32 rounding lands on a half), three times faster: at 512×512 the exact
 * conversion costs as much as running the tiny decoder.
 */
function firstImageToRgba(out: Tensor): RgbaImage {
  const [, , height, width] = out.dims as [number, number, number, number]
  const src = float32Data(out)
  const plane = height * width
  const data = new Uint8Array(plane * 4)
  const bytes = new Uint8ClampedArray(data.buffer)
  for (let p = 0, o = 0; p < plane; p++, o += 4) {
    bytes[o] = (src[p] as number) * 127.5 + 127.5
    bytes[o + 1] = (src[plane + p] as number) * 127.5 + 127.5
    bytes[o + 2] = (src[2 * plane + p] as number) * 127.5 + 127.5
    bytes[o + 3] = 255
  }
  return { width, height, data }
}

/** diffusers' `latents / scaling_factor + shift_factor` with the decoder's own factors. */
function scaleForDecoder(latents: Tensor, source: PreviewDecoderSource): Tensor {
  const { scalingFactor: sf, shiftFactor: shift } = source
  if (sf === 1 && shift === 0) return latents
  const src = float32Data(latents)
  const out = new Float32Array(src.length)
  for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) / sf + shift
  return floatTensor(out, latents.dims)
}
