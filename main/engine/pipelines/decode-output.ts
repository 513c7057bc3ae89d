import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import type { RgbaImage } from '../previews/latents-to-rgb'
import type { LoadedModels } from './loaded-models'
import type { MemoryCheck } from './memory-check'
import type { VaeTiling } from './vae-tiling'
import { decodeLatents } from './vae-decode'

/** The images of a run, and what its decode has to say. */
export interface DecodedOutput {
  images: RgbaImage[]
  /** In the order they come up: a float16 VAE that should upcast, then a tiled decode's note. */
  warnings: string[]
  /** The decoder's fallback note (the result reports it with the UNet's), or null. */
  fallback: string | null
}

/**
 * The last step of a call with `outputType: 'image'`: the final latents through the VAE decoder,
 * whole or in tiles as the memory check chose, with the warnings that concern the decode.
 */
export async function decodeOutput(
  vae: NonNullable<LoadedModels['vae']>,
  vaeConfig: VaeConfig,
  latents: Tensor,
  tiling: VaeTiling | null,
  check: Pick<MemoryCheck, 'mode' | 'note'>
): Promise<DecodedOutput> {
  const warnings: string[] = []
  if (vae.io.float16 && vaeConfig.forceUpcast) {
    warnings.push(
      `${vae.model.label} runs in float16 but the VAE config sets force_upcast (this VAE overflows in float16; diffusers decodes it in float32): use a float32 or fp16-fixed decoder if images come out black`
    )
  }
  const decoded = await decodeLatents(vae.model, vae.io, vaeConfig, latents, tiling)
  // The note is only news when the decode did tile: a size that fits whole says nothing.
  if (decoded.tiled && check.note !== null && check.mode === 'vae-tiles') {
    warnings.push(check.note)
  }
  return { images: decoded.images, warnings, fallback: decoded.fallback }
}
