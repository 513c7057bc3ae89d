import { readMemoryProfile, type MemoryProfile } from '../models/memory-profile'
import { checkRunMemory, type MemoryCheck, type MemorySaving } from './memory-check'
import {
  estimateRunMemory,
  expectedRunGraphs,
  type MemoryEstimate,
  type RunGraphs,
  type RunShape
} from './memory-estimate'
import type { PipelineComponents } from './shared-components'
import { vaeTilingFor, type VaeTiling } from './vae-tiling'

/**
 * A pipeline's memory settings (VAE tiling, the low-memory mode) and what it reads to check a
 * run against the memory limit. Each pipeline holds its own: pipelines made by `fromPipe` share
 * sessions, not these settings.
 */
export class MemoryModes {
  /** Tiled VAE decode: `'on'` always, `'auto'` when a whole decode does not fit. */
  vaeTiling: MemorySaving = 'off'
  /** Tiles and one UNet row per call: `'on'` always, `'auto'` when nothing else fits. */
  lowMemory: MemorySaving = 'off'
  // Read from the graph files on the first check or estimate, then kept: they do not change.
  private profile: MemoryProfile | null = null

  /**
   * How a run at `shape` uses memory (whole or tiled decode, UNet rows per call), and the
   * refusal when even the lowest mode allowed cannot fit: checked before anything is allocated
   * (memory-check.ts, `checkRunMemory`).
   */
  async plan(
    components: PipelineComponents,
    shape: RunShape
  ): Promise<{ tiling: VaeTiling | null; check: MemoryCheck }> {
    const folder = components.folder
    const tiling = vaeTilingFor(folder.vaeConfig)
    this.profile ??= await readMemoryProfile(folder)
    const check = checkRunMemory(folder, shape, this.profile, this.runGraphs(components), {
      ...(components.memoryLimit === undefined ? {} : { limit: components.memoryLimit }),
      vaeTiling: this.vaeTiling,
      lowMemory: this.lowMemory,
      tileSize: tiling.tileSampleMinSize
    })
    return { tiling: check.vaeTileSize === null ? null : tiling, check }
  }

  /**
   * The memory model's estimate of a run at `shape` (memory-estimate.ts); `vaeTileSize` when
   * the VAE decodes in tiles of that many pixels.
   */
  async estimate(
    components: PipelineComponents,
    shape: RunShape,
    vaeTileSize?: number
  ): Promise<MemoryEstimate> {
    this.profile ??= await readMemoryProfile(components.folder)
    return estimateRunMemory(components.folder, shape, this.profile, {
      ...this.runGraphs(components),
      ...(vaeTileSize === undefined ? {} : { vaeTileSize })
    })
  }

  /** The graphs a run loads, as the graph passes changed them or are expected to. */
  private runGraphs(components: PipelineComponents): RunGraphs {
    const sessions = components.sessions
    const gpu = sessions.providers[0] !== undefined && sessions.providers[0] !== 'cpu'
    return expectedRunGraphs(this.profile ?? { graphs: {} }, {
      gpu,
      fuseAttention: components.fuseAttention,
      reports: sessions.graphPasses
    })
  }
}
