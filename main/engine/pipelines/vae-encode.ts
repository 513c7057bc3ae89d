import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import type { OnnxModel } from '../models/onnx-model'
import type { VaeEncoderIo } from '../models/vae-encoder-io'
import type { Generator } from '../random/generator'
import { randnTensor } from '../random/randn-tensor'
import { batchOf, concatBatch, sliceRows } from '../tensor/batch'
import { float32Data, floatTensor, formatDims } from '../tensor/float-tensor'
import { runBatched } from './batched-run'

const f32 = Math.fround

/** The VAE encoder as the image pipelines use it. */
export interface VaeEncoder {
  model: OnnxModel
  io: VaeEncoderIo
}

/** How the encoded latents are scaled. */
export interface EncodeOptions {
  /**
   * Apply the config's `latents_mean` / `latents_std` when it has both (SDXL img2img's
   * `prepare_latents` does; the inpainting pipelines' `_encode_vae_image` never does).
   */
  useLatentsMeanStd: boolean
}

/**
 * diffusers' `retrieve_latents(vae.encode(image), generator)` followed by the latent scaling: the
 * encoder's `latent_parameters` become a diagonal Gaussian (log-variance clamped to [−30, 20],
 * std = exp(½·logvar)) sampled with `randn_tensor` from the generator — one draw over all rows
 * with one generator, row i from `generator[i]` with a list — and then multiplied by the config's
 * `scaling_factor` (or shifted and scaled by `latents_mean` / `latents_std`). An encoder that
 * outputs `latent_sample` (diffusers' legacy ONNX export) has sampled already; its output is
 * scaled as it is and draws nothing from the generator.
 */
export async function encodeImageLatents(
  vae: VaeEncoder,
  config: VaeConfig,
  image: Tensor,
  generator: Generator | Generator[] | null | undefined,
  options: EncodeOptions
): Promise<Tensor> {
  const run = await runBatched(
    vae.model,
    { [vae.io.input]: image },
    [vae.io.input],
    vae.io.fixedBatch,
    [vae.io.output]
  )
  const out = run.outputs[vae.io.output] as Tensor
  const raw = vae.io.kind === 'parameters' ? sampleLatentDistribution(out, generator) : out
  return scaleLatents(raw, config, options.useLatentsMeanStd)
}

/** diffusers' `DiagonalGaussianDistribution(parameters).sample(generator)` in float32. */
export function sampleLatentDistribution(
  parameters: Tensor,
  generator: Generator | Generator[] | null | undefined
): Tensor {
  const [n, c2, h, w] = parameters.dims as [number, number, number, number]
  if (parameters.dims.length !== 4 || c2 % 2 !== 0) {
    throw new Error(
      `the VAE encoder returned latent parameters of shape ${formatDims(parameters.dims)}; expected [batch, 2 × latent channels, height, width]`
    )
  }
  const c = c2 / 2
  const shape = [n, c, h, w]
  let noise: Tensor
  if (Array.isArray(generator)) {
    // One image at a time, each with its own generator (diffusers' list branch).
    const rows: Tensor[] = []
    for (let i = 0; i < n; i++) {
      const g = generator[i]
      if (g === undefined) {
        throw new Error(`${n} images to encode but only ${generator.length} generators`)
      }
      rows.push(randnTensor([1, c, h, w], g))
    }
    noise = concatBatch(rows)
  } else {
    noise = randnTensor(shape, generator === null || generator === undefined ? {} : { generator })
  }
  const p = float32Data(parameters, 'latent parameters')
  const z = float32Data(noise)
  const plane = c * h * w
  const out = new Float32Array(n * plane)
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < plane; k++) {
      const mean = p[b * 2 * plane + k] as number
      let logvar = p[b * 2 * plane + plane + k] as number
      logvar = logvar < -30 ? -30 : logvar > 20 ? 20 : logvar
      const std = f32(Math.exp(f32(0.5 * logvar)))
      out[b * plane + k] = f32(mean + f32(std * (z[b * plane + k] as number)))
    }
  }
  return floatTensor(out, shape)
}

/** `scaling_factor · x`, or `(x − mean) · scaling_factor / std` per channel. */
export function scaleLatents(latents: Tensor, config: VaeConfig, useMeanStd: boolean): Tensor {
  const src = float32Data(latents, 'latents')
  const [, c, h, w] = latents.dims as [number, number, number, number]
  const sf = f32(config.scalingFactor)
  const out = new Float32Array(src.length)
  const { latentsMean: mean, latentsStd: std } = config
  if (useMeanStd && mean !== null && std !== null) {
    if (mean.length !== c || std.length !== c) {
      throw new Error(
        `the VAE config's latents_mean / latents_std have ${mean.length} / ${std.length} values but the latents have ${c} channels`
      )
    }
    const plane = h * w
    for (let i = 0; i < src.length; i++) {
      const ch = Math.floor(i / plane) % c
      out[i] = f32(
        f32(f32((src[i] as number) - f32(mean[ch] as number)) * sf) / f32(std[ch] as number)
      )
    }
  } else {
    for (let i = 0; i < src.length; i++) out[i] = f32(sf * (src[i] as number))
  }
  return floatTensor(out, latents.dims)
}

/** `x.repeat(times, 1, 1, 1)`: the whole batch repeated (diffusers' `torch.cat([x] * k)`). */
export function repeatBatch(x: Tensor, times: number): Tensor {
  return times === 1 ? x : concatBatch(Array.from({ length: times }, () => x))
}

/** Rows `[0, n)` of `x`. */
export function firstRows(x: Tensor, n: number): Tensor {
  return batchOf(x) === n ? x : sliceRows(x, 0, n)
}
