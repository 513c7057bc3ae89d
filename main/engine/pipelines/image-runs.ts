import type { Tensor } from 'onnxruntime-node'
import { randnTensor } from '../random/randn-tensor'
import { batchOf } from '../tensor/batch'
import { scaleTensor } from '../tensor/elementwise'
import { float32Data, floatTensor, formatDims, sameDims } from '../tensor/float-tensor'
import { showValue } from './describe-value'
import type { ImageRunContext, ImageRunHooks } from './image-run-types'
import {
  nearestResize,
  preprocessImage,
  preprocessMask,
  type PipelineImageInput,
  type PipelineMaskInput
} from './image-processing'
import { denoisingValueValid, getTimesteps } from './image-timesteps'
import type { LoopTensors } from './denoising-loop'
import { encodeImageLatents, firstRows, repeatBatch, type VaeEncoder } from './vae-encode'

const f32 = Math.fround

/** Strength must be a number in [0, 1] (diffusers' check); 0 runs nothing, which Stepwise refuses. */
export function checkStrength(strength: unknown): number {
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw new Error(`strength must be a number from 0 to 1, but is ${showValue(strength)}`)
  }
  if (strength === 0) {
    throw new Error(
      'strength is 0, which keeps the image unchanged and runs no denoising step; use a strength above 0 and at most 1'
    )
  }
  return strength
}

/** The VAE encoder of a run that starts from pixels, or a clear error when the model has none. */
function encoderOf(context: ImageRunContext): VaeEncoder {
  if (context.models.vaeEncoder === null) {
    throw new Error(
      `${context.folder.dir} has no VAE encoder (vae_encoder/model.onnx), so it cannot start from an image`
    )
  }
  return context.models.vaeEncoder
}

/** `x` repeated to `batch` rows, as diffusers duplicates images for more prompts. */
function toBatch(x: Tensor, batch: number, what: string): Tensor {
  const rows = batchOf(x)
  if (rows === batch) return x
  if (batch % rows !== 0 || rows > batch) {
    throw new Error(`Cannot duplicate \`${what}\` of batch size ${rows} to ${batch} text prompts.`)
  }
  return repeatBatch(x, batch / rows)
}

/** The latent-space noise of the whole batch, drawn as diffusers' `randn_tensor` draws it. */
function drawNoise(context: ImageRunContext, channels: number): Tensor {
  const [h, w] = context.latentSize
  const g = context.generator
  return randnTensor(
    [context.batchSize, channels, h, w],
    g === null || g === undefined ? {} : { generator: g }
  )
}

function latentChannels(context: ImageRunContext): number {
  const configured = context.folder.vaeConfig.raw.latent_channels
  return typeof configured === 'number' ? configured : 4
}

/** Options of an image-to-image run. */
export interface Img2ImgRunOptions {
  family: 'sd' | 'sdxl'
  image: PipelineImageInput | null | undefined
  strength: number
  height?: number | null
  width?: number | null
  /** SDXL: enter the schedule at this fraction (replaces strength; no noise is added). */
  denoisingStart?: number | null
}

/**
 * diffusers' image-to-image (`StableDiffusionImg2ImgPipeline`, `StableDiffusionXLImg2ImgPipeline`):
 * the picture is encoded (the VAE's sample drawn from the generator), scaled, repeated to the
 * batch, and noised with the scheduler's `addNoise` at the first timestep that runs — with noise
 * drawn after the encoder's sample, from the same generator. SDXL's `denoisingStart` skips the
 * noise (the image latents are taken as already noisy, as a refiner takes a base's output).
 */
export function img2imgRun(o: Img2ImgRunOptions): ImageRunHooks {
  const strength = checkStrength(o.strength)
  const start = denoisingValueValid(o.denoisingStart) ? o.denoisingStart : null
  let image: Tensor | null = null
  return {
    kind: 'img2img',
    strength: start === null ? strength : null,
    prepareInputs({ vaeScaleFactor, sizeMultiple }) {
      if (o.image === null || o.image === undefined) {
        throw new Error('image is required: the picture to start from')
      }
      image = preprocessImage(
        o.image,
        { height: o.height, width: o.width },
        vaeScaleFactor,
        sizeMultiple
      )
      const [h, w] = [image.dims[2] as number, image.dims[3] as number]
      const latents = image.dims[1] === 4
      return { height: latents ? h * vaeScaleFactor : h, width: latents ? w * vaeScaleFactor : w }
    },
    startTimesteps: (scheduler, n) => getTimesteps(scheduler, n, strength, start),
    async prepareLatents(context) {
      const B = context.batchSize
      let latents: Tensor
      if (context.latents !== null) {
        latents = context.latents
      } else {
        const pixels = image as Tensor
        let init: Tensor
        if (pixels.dims[1] === 4) {
          init = pixels
        } else {
          const g = context.generator
          const input = Array.isArray(g) ? toBatch(pixels, B, 'image') : pixels
          init = await encodeImageLatents(encoderOf(context), context.folder.vaeConfig, input, g, {
            useLatentsMeanStd: o.family === 'sdxl'
          })
        }
        init = toBatch(init, B, 'image')
        if (start === null) {
          const noise = randnTensor(
            init.dims,
            context.generator === null || context.generator === undefined
              ? {}
              : { generator: context.generator }
          )
          const t = context.timesteps[0] as number
          latents = context.scheduler.addNoise(init, noise, Array<number>(B).fill(t))
        } else {
          latents = init
        }
      }
      return { latents, tensors: {}, extraInputChannels: [], afterStep: null }
    }
  }
}

/** Options of an inpainting run. */
export interface InpaintRunOptions {
  family: 'sd' | 'sdxl'
  image: PipelineImageInput | null | undefined
  maskImage: PipelineMaskInput | null | undefined
  /** Latents of the masked image, instead of encoding it. */
  maskedImageLatents?: Tensor | null
  strength: number
  /** The run's size; default the pipeline's (the UNet's sample size × the VAE scale factor). */
  height?: number | null
  width?: number | null
  denoisingStart?: number | null
}

/**
 * diffusers' inpainting (`StableDiffusionInpaintPipeline`, `StableDiffusionXLInpaintPipeline`).
 * The mask is binarised at the run's size and brought to the latent size (nearest); the masked
 * picture (`image · (mask < 0.5)`) is encoded. A 9-channel inpainting UNet sees
 * `[latents, mask, masked_image_latents]`; an ordinary 4-channel UNet denoises the latents alone
 * and, after every step, the known region is replaced by the image's latents noised to the next
 * timestep (`(1 − mask) · addNoise(image_latents, noise, t_next) + mask · latents`). Generator use
 * follows diffusers: the image's sample (when needed), then the noise, then the masked image's
 * sample. Strength 1 starts from pure noise × `initNoiseSigma`.
 */
export function inpaintRun(o: InpaintRunOptions): ImageRunHooks {
  const strength = checkStrength(o.strength)
  const start = denoisingValueValid(o.denoisingStart) ? o.denoisingStart : null
  let initImage: Tensor | null = null
  let maskCondition: Tensor | null = null
  return {
    kind: 'inpaint',
    strength: start === null ? strength : null,
    prepareInputs({ defaults, vaeScaleFactor }) {
      if (o.image === null || o.image === undefined) {
        throw new Error('image is required: the picture to inpaint')
      }
      if (o.maskImage === null || o.maskImage === undefined) {
        throw new Error('maskImage is required: white where the picture is repainted')
      }
      const size = { height: o.height ?? defaults.height, width: o.width ?? defaults.width }
      initImage = preprocessImage(o.image, size, vaeScaleFactor)
      if (initImage.dims[1] === 4 && o.family === 'sd') {
        throw new Error(
          'image has 4 channels (latents); StableDiffusionInpaintPipeline needs the picture itself (it encodes the masked picture)'
        )
      }
      maskCondition = preprocessMask(o.maskImage, size, vaeScaleFactor)
      return size
    },
    startTimesteps(scheduler, n) {
      const result = getTimesteps(scheduler, n, strength, start)
      if (result.numInferenceSteps < 1) {
        throw new Error(
          `strength ${strength} leaves ${result.numInferenceSteps} of the numInferenceSteps to run, which is less than 1; raise the strength or numInferenceSteps`
        )
      }
      return result
    },
    async prepareLatents(context) {
      const channels = context.unetChannels
      const latentCh = latentChannels(context)
      if (channels !== 4 && channels !== 9) {
        throw new Error(
          `an inpainting pipeline needs a UNet with 4 or 9 input channels, but this one takes ${channels}`
        )
      }
      const B = context.batchSize
      const image = initImage as Tensor
      const mask = maskCondition as Tensor
      const isStrengthMax = strength === 1
      const addNoise = start === null
      const g = context.generator
      const encode = (pixels: Tensor): Promise<Tensor> =>
        encodeImageLatents(encoderOf(context), context.folder.vaeConfig, pixels, g, {
          useLatentsMeanStd: false
        })
      const returnImageLatents = channels === 4
      let imageLatents: Tensor | null = null
      if (image.dims[1] === 4) {
        imageLatents = toBatch(image, B, 'image')
      } else if (returnImageLatents || (context.latents === null && !isStrengthMax) || !addNoise) {
        imageLatents = toBatch(await encode(image), B, 'image')
      }
      let latents: Tensor
      let noise: Tensor
      if (context.latents === null && addNoise) {
        noise = drawNoise(context, latentCh)
        latents = isStrengthMax
          ? scaleTensor(noise, context.scheduler.initNoiseSigma)
          : context.scheduler.addNoise(
              imageLatents as Tensor,
              noise,
              Array<number>(B).fill(context.timesteps[0] as number)
            )
      } else if (addNoise) {
        noise = context.latents as Tensor
        latents = scaleTensor(noise, context.scheduler.initNoiseSigma)
      } else {
        noise = drawNoise(context, latentCh)
        latents = imageLatents as Tensor
      }

      const [h, w] = context.latentSize
      let maskLatent: Tensor = toBatch(nearestResize(mask, h, w), B, 'mask')
      let masked: Tensor | null = null
      if (o.maskedImageLatents !== null && o.maskedImageLatents !== undefined) {
        masked = o.maskedImageLatents
      } else if (image.dims[1] !== 4) {
        masked = await encode(maskPixels(image, mask))
      }
      if (masked !== null) masked = toBatch(masked, B, 'masked image')
      const cfg = context.doClassifierFreeGuidance
      if (cfg) {
        maskLatent = repeatBatch(maskLatent, 2)
        if (masked !== null) masked = repeatBatch(masked, 2)
      }
      if (channels === 9) {
        const sum = latentCh + (maskLatent.dims[1] as number) + (masked?.dims[1] ?? 0)
        if (masked === null || sum !== channels) {
          throw new Error(
            `the UNet takes ${channels} input channels, but the latents (${latentCh}), the mask (${maskLatent.dims[1]}) and the masked image's latents (${masked?.dims[1] ?? 0}) make ${sum}; the UNet and the VAE belong to different models`
          )
        }
      }
      const tensors: LoopTensors = { mask: maskLatent, masked_image_latents: masked }
      const afterStep =
        channels === 4 ? blendKnownRegion(context, imageLatents as Tensor, noise) : null
      return {
        latents,
        tensors,
        extraInputChannels: channels === 9 ? ['mask', 'masked_image_latents'] : [],
        afterStep
      }
    }
  }
}

/** `image · (mask < 0.5)`: the picture with the repainted region blacked out (0 in [-1, 1] space is grey). */
function maskPixels(image: Tensor, mask: Tensor): Tensor {
  const [n, c, h, w] = image.dims as [number, number, number, number]
  const x = float32Data(image, 'image')
  const m = float32Data(mask, 'mask')
  const rows = batchOf(mask)
  if (rows !== 1 && rows !== n) {
    throw new Error(`the mask has ${rows} rows but the image ${n}; pass one mask or one per image`)
  }
  const out = new Float32Array(x.length)
  const plane = h * w
  for (let b = 0; b < n; b++) {
    const mb = rows === 1 ? 0 : b
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < plane; p++) {
        const keep = (m[mb * plane + p] as number) < 0.5 ? 1 : 0
        out[(b * c + ch) * plane + p] = f32((x[(b * c + ch) * plane + p] as number) * keep)
      }
    }
  }
  return floatTensor(out, image.dims)
}

/**
 * The 4-channel inpainting step's end: `(1 − m) · known + m · latents`, where `known` is the
 * image's latents noised to the next timestep (plain on the last step) and `m` the mask's first
 * half while CFG doubles it.
 */
function blendKnownRegion(
  context: ImageRunContext,
  imageLatents: Tensor,
  noise: Tensor
): (i: number, tensors: LoopTensors, cfg: boolean) => void {
  const { scheduler, timesteps } = context
  return (i, tensors, cfg) => {
    const latents = tensors.latents as Tensor
    const mask = tensors.mask as Tensor
    const rows = batchOf(latents)
    const initMask = cfg ? firstRows(mask, batchOf(mask) / 2) : mask
    if (batchOf(initMask) !== rows) {
      throw new Error(
        `mask has shape ${formatDims(mask.dims)} but the latents ${formatDims(latents.dims)}: a callback that turns classifier-free guidance off must also keep only the conditional half of mask and masked_image_latents (as SDCFGCutoffCallback / SDXLCFGCutoffCallback do)`
      )
    }
    const known =
      i < timesteps.length - 1
        ? scheduler.addNoise(imageLatents, noise, [timesteps[i + 1] as number])
        : imageLatents
    if (!sameDims(known.dims, latents.dims)) {
      throw new Error(
        `the image latents have shape ${formatDims(known.dims)} but the latents ${formatDims(latents.dims)}`
      )
    }
    const k = float32Data(known)
    const x = float32Data(latents)
    const m = float32Data(initMask)
    const [, c, h, w] = latents.dims as [number, number, number, number]
    const plane = h * w
    const out = new Float32Array(x.length)
    for (let b = 0; b < rows; b++) {
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < plane; p++) {
          const mv = m[b * plane + p] as number
          const idx = (b * c + ch) * plane + p
          out[idx] = f32(f32(f32(1 - mv) * (k[idx] as number)) + f32(mv * (x[idx] as number)))
        }
      }
    }
    tensors.latents = floatTensor(out, latents.dims)
  }
}
