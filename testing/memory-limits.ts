import {
  estimateRunMemory,
  expectedRunGraphs,
  openModelFolder,
  readMemoryProfile,
  vaeTilingFor
} from '../main/engine'

/** The estimated bytes of one run in the two modes a memory limit chooses between. */
export interface ModeEstimates {
  /** The normal mode with the VAE decoded in tiles (what runs above the low-memory mode). */
  tiled: number
  /** The low-memory mode: one UNet row per call, the VAE in tiles. */
  low: number
}

/**
 * The memory the plan estimates for a CFG run (2 UNet rows, 1 image) of `width` × `height` on
 * a model folder, in both modes, so a test can set a limit between them (or under both).
 */
export async function modeEstimates(
  modelDir: string,
  width: number,
  height: number
): Promise<ModeEstimates> {
  const folder = await openModelFolder(modelDir)
  const profile = await readMemoryProfile(folder)
  const shape = { width, height, unetRows: 2, images: 1 }
  const graphs = {
    ...expectedRunGraphs(profile),
    vaeTileSize: vaeTilingFor(folder.vaeConfig).tileSampleMinSize
  }
  return {
    tiled: estimateRunMemory(folder, shape, profile, graphs).bytes,
    low: estimateRunMemory(folder, { ...shape, unetRowsPerCall: 1 }, profile, graphs).bytes
  }
}
