import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { ComponentSessions } from '../models/component-sessions'
import { openModelFolder } from '../models/model-folder'
import { describeVaeDecoder } from '../models/vae-decoder-io'
import { float32Data, floatTensor } from '../tensor/float-tensor'
import { SD_DIR, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'
import { tiledDecode, usesTiles, vaeTilingFor } from './vae-tiling'

const REFERENCE = path.join(__dirname, '../../../fixtures/vae-tiling')

function floats(file: string): Float32Array {
  const bytes = readFileSync(path.join(REFERENCE, file))
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
}

describe('tiled VAE decode', () => {
  it('takes diffusers’ tile sizes from the VAE config', async () => {
    const folder = await openModelFolder(SD_DIR)
    // The tiny decoder: sample_size 64 px, 4 levels (8× spatial factor) → 8-latent tiles.
    const tiling = vaeTilingFor(folder.vaeConfig)
    expect(tiling).toEqual({ tileSampleMinSize: 64, tileLatentMinSize: 8, tileOverlapFactor: 0.25 })
    expect(usesTiles(tiling, 8, 8)).toBe(false)
    expect(usesTiles(tiling, 8, 9)).toBe(true)
    // SD 1.5's VAE (sample_size 512) tiles 64 latents; a legacy folder without a config as well.
    expect(vaeTilingFor({ ...folder.vaeConfig, raw: { sample_size: 512 } }).tileLatentMinSize).toBe(
      64
    )
    expect(vaeTilingFor({ ...folder.vaeConfig, raw: {} }).tileLatentMinSize).toBe(64)
  })

  it('gives what diffusers’ tiled_decode gives with the same decoder (3 × 2 tiles)', async () => {
    const folder = await openModelFolder(SD_DIR)
    const sessions = new ComponentSessions(folder, TEST_SESSION_OPTIONS)
    try {
      const decoder = await sessions.get('vae_decoder')
      const io = describeVaeDecoder(decoder)
      const runs: number[][] = []
      const decoded = await tiledDecode(
        floatTensor(floats('latents.bin'), [1, 4, 16, 12]),
        vaeTilingFor(folder.vaeConfig),
        async (tile) => {
          runs.push([...tile.dims])
          return (await decoder.run({ [io.input]: tile })).outputs[io.output] as Tensor
        }
      )
      // Tiles start every 6 latents (a quarter overlap) and stop at the edges.
      expect(runs).toEqual([
        [1, 4, 8, 8],
        [1, 4, 8, 6],
        [1, 4, 8, 8],
        [1, 4, 8, 6],
        [1, 4, 4, 8],
        [1, 4, 4, 6]
      ])
      expect(decoded.dims).toEqual([1, 3, 128, 96])
      const got = float32Data(decoded)
      const want = floats('decoded.bin')
      let diff = 0
      let scale = 0
      for (let k = 0; k < want.length; k++) {
        diff = Math.max(diff, Math.abs((got[k] as number) - (want[k] as number)))
        scale = Math.max(scale, Math.abs(want[k] as number))
      }
      // Same decoder, same blend arithmetic in float32: equal up to the last bit or two.
      expect(diff / scale).toBeLessThan(1e-6)
    } finally {
      await sessions.release()
    }
  })
})
