import { promises as fs } from 'node:fs'
import type { UnetConfig } from './component-configs'
import { ModelLoadError } from './model-load-error'
import { FileWindow, fields, type Field } from './onnx-header'

/**
 * The size multiple of a model: image widths and heights its UNet can run.
 *
 * The VAE turns an image of h × w pixels into latents of h/8 × w/8, and every down block of the
 * UNet but the last halves them with a stride-2 convolution; on the way up each is doubled and
 * concatenated with the skip connection of the same level. diffusers' PyTorch UNet forwards the
 * skip's size to the upsampler when the latents do not halve evenly, but an ONNX export is traced
 * at an even size, so its upsamplers always double: a latent side that does not halve evenly at
 * every level reaches onnxruntime's Concat with mismatched sizes (72 px on a UNet that halves
 * once: 9 → 5 → 10 against 9). So a size must be a multiple of
 * `vae_scale_factor · 2^(down blocks − 1)`: 16 px for the shipped model, 64 for SD 1.x/2.x, 32 for
 * SDXL.
 */

/** How a model's size multiple was found. */
export interface SizeMultiple {
  /** Widths and heights must be multiples of this many pixels. */
  multiple: number
  /** How many times the UNet halves the latents (null when neither config nor graph says). */
  downsamplings: number | null
}

/** The size multiple from the VAE scale factor and the UNet's down-sampling count. */
export function sizeMultipleOf(vaeScaleFactor: number, downsamplings: number | null): number {
  return vaeScaleFactor * 2 ** (downsamplings ?? 0)
}

/**
 * The UNet's down-sampling count: from `unet/config.json` (`block_out_channels` or
 * `down_block_types`), else (diffusers' legacy ONNX layout has no config) by counting the graph's
 * stride-2 convolutions. Null when the graph cannot be read either (the load reports that).
 */
export async function unetDownsamplings(
  unetConfig: UnetConfig,
  unetGraph: string
): Promise<number | null> {
  if (unetConfig.downBlocks !== null) return unetConfig.downBlocks - 1
  try {
    return await countStrideTwoConvs(unetGraph)
  } catch (error) {
    if (error instanceof ModelLoadError) return null
    throw error
  }
}

/** The strides of a Conv node, or null for another operator. */
async function convStrides(w: FileWindow, node: Field): Promise<bigint[] | null> {
  let op = ''
  const strides: bigint[] = []
  for await (const f of fields(w, node.pos, node.pos + node.len)) {
    if (f.no === 4 && f.wire === 2) op = await w.text(f.pos, f.len)
    else if (f.no === 5 && f.wire === 2) {
      let name = ''
      const ints: bigint[] = []
      for await (const a of fields(w, f.pos, f.pos + f.len)) {
        if (a.no === 1 && a.wire === 2) name = await w.text(a.pos, a.len)
        else if (a.no === 8 && a.wire === 0) ints.push(a.value)
        else if (a.no === 8 && a.wire === 2) ints.push(...(await packedVarints(w, a)))
      }
      if (name === 'strides') strides.push(...ints)
    }
  }
  return op === 'Conv' ? strides : null
}

async function packedVarints(w: FileWindow, f: Field): Promise<bigint[]> {
  const out: bigint[] = []
  let pos = f.pos
  while (pos < f.pos + f.len) {
    await w.ensure(pos, Math.min(10, f.pos + f.len - pos))
    let value = 0n
    let shift = 0n
    for (;;) {
      const b = w.byte(pos++)
      value |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) break
      shift += 7n
    }
    out.push(value)
  }
  return out
}

/**
 * Counts the 2-D convolutions with stride 2 in the graph of the `.onnx` file at `file`, walking
 * only the node list (weights are skipped, not read).
 */
export async function countStrideTwoConvs(file: string): Promise<number> {
  const handle = await fs.open(file, 'r').catch((error: unknown) => {
    throw new ModelLoadError(file, `${file} could not be read: ${(error as Error).message}`)
  })
  try {
    const w = new FileWindow(handle, (await handle.stat()).size, file)
    let count = 0
    for await (const f of fields(w, 0, w.size)) {
      if (f.no !== 7 || f.wire !== 2) continue
      for await (const g of fields(w, f.pos, f.pos + f.len)) {
        if (g.no !== 1 || g.wire !== 2) continue
        const strides = await convStrides(w, g)
        if (strides !== null && strides.length === 2 && strides.every((s) => s === 2n)) count++
      }
    }
    return count
  } finally {
    await handle.close()
  }
}
