import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import type { OnnxModel } from '../models/onnx-model'
import type { VaeDecoderIo } from '../models/vae-decoder-io'
import { roundHalfEven, type RgbaImage } from '../previews/latents-to-rgb'
import { float32Data, floatTensor, formatDims } from '../tensor/float-tensor'
import { runBatched } from './batched-run'
import { tiledDecode, usesTiles, type VaeTiling } from './vae-tiling'

const f32 = Math.fround

/**
 * Undoes the latent scaling before decoding: `latents · std / scaling_factor + mean` per channel
 * when the VAE config has `latents_mean` and `latents_std` (diffusers' SDXL rule), else
 * `latents / scaling_factor`.
 */
export function unscaleLatents(latents: Tensor, vae: VaeConfig): Tensor {
  const src = float32Data(latents, 'latents')
  const [b, c, h, w] = latents.dims as [number, number, number, number]
  const sf = f32(vae.scalingFactor)
  const out = new Float32Array(src.length)
  const { latentsMean: mean, latentsStd: std } = vae
  if (mean !== null && std !== null) {
    if (mean.length !== c) {
      throw new Error(
        `the VAE config's latents_mean has ${mean.length} values but the latents have ${c} channels`
      )
    }
    const plane = h * w
    for (let i = 0; i < src.length; i++) {
      const ch = Math.floor(i / plane) % c
      out[i] = f32(f32((src[i] as number) * f32(std[ch] as number)) / sf) + f32(mean[ch] as number)
    }
  } else {
    for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) / sf
  }
  return floatTensor(out, [b, c, h, w])
}

/**
 * diffusers' post-processing to 8-bit pixels: `(x / 2 + 0.5).clamp(0, 1) · 255`, rounded half to
 * even, as RGBA (alpha 255) for each image of a `[B, 3, H, W]` decoder output.
 */
export function imagesToRgba(decoded: Tensor): RgbaImage[] {
  const [b, c, h, w] = decoded.dims as [number, number, number, number]
  if (decoded.dims.length !== 4 || c !== 3) {
    throw new Error(
      `the VAE decoder returned shape ${formatDims(decoded.dims)}; expected [batch, 3, height, width]`
    )
  }
  const src = float32Data(decoded)
  const plane = h * w
  const images: RgbaImage[] = []
  for (let n = 0; n < b; n++) {
    const data = new Uint8Array(plane * 4)
    const base = n * 3 * plane
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < 3; ch++) {
        let v = f32(f32((src[base + ch * plane + p] as number) * 0.5) + 0.5)
        v = v < 0 ? 0 : v > 1 ? 1 : v
        data[p * 4 + ch] = roundHalfEven(f32(v * 255))
      }
      data[p * 4 + 3] = 255
    }
    images.push({ width: w, height: h, data })
  }
  return images
}

/**
 * Decodes loop latents to RGBA images (in chunks if the decoder's batch is fixed); with
 * `tiling`, in overlapping tiles as diffusers' `enable_vae_tiling` does (see vae-tiling.ts)
 * when the latents are larger than one tile.
 */
export async function decodeLatents(
  model: OnnxModel,
  io: VaeDecoderIo,
  vae: VaeConfig,
  latents: Tensor,
  tiling: VaeTiling | null = null
): Promise<{ images: RgbaImage[]; ms: number; fallback: string | null; tiled: boolean }> {
  const z = unscaleLatents(latents, vae)
  const [, , h, w] = z.dims as [number, number, number, number]
  let ms = 0
  let fallback: string | null = null
  const decode = async (input: Tensor): Promise<Tensor> => {
    const result = await runBatched(model, { [io.input]: input }, [io.input], io.fixedBatch, [
      io.output
    ])
    ms += result.ms
    fallback ??= result.fallback
    return result.outputs[io.output] as Tensor
  }
  const tiled = tiling !== null && usesTiles(tiling, h, w)
  const decoded = tiled ? await tiledDecode(z, tiling, decode) : await decode(z)
  return { images: imagesToRgba(decoded), ms, fallback, tiled }
}
