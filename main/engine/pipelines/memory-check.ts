import type { MemoryProfile } from '../models/memory-profile'
import type { ModelFolder } from '../models/model-folder'
import {
  defaultMemoryLimit,
  estimateRunMemory,
  gib,
  memoryRefusal,
  type MemoryEstimate,
  type RunGraphs,
  type RunShape
} from './memory-estimate'

/**
 * How a run uses memory: `normal` (every UNet row in one call, a whole VAE decode), `vae-tiles`
 * (the VAE decodes in tiles, as diffusers' `enable_vae_tiling`) or `low-memory` (the VAE in tiles
 * and the UNet one row per call: with classifier-free guidance the unconditional and the
 * conditional rows run as separate calls).
 */
export type MemoryMode = 'normal' | 'vae-tiles' | 'low-memory'

/** A setting for a memory-saving measure: on whatever the memory, off, or only when needed. */
export type MemorySaving = 'auto' | 'on' | 'off'

/** What the memory check decided for a run. */
export interface MemoryCheck {
  /** The estimate of the mode chosen (of the normal mode when refused). */
  estimate: MemoryEstimate
  /** The mode chosen (the lowest tried when refused). */
  mode: MemoryMode
  /** Tile size in pixels when the VAE decodes in tiles, else null. */
  vaeTileSize: number | null
  /** UNet rows per call in the low-memory mode (1), else null (all rows in one call). */
  unetRowsPerCall: number | null
  /** Said with the result when the check chose a lower mode to fit (null otherwise). */
  note: string | null
  /** The refusal when even the lowest mode allowed cannot fit, else null. */
  refusal: string | null
}

/** Options of {@link checkRunMemory}. */
export interface MemoryCheckOptions {
  /** The limit in bytes; default {@link defaultMemoryLimit}. */
  limit?: number
  /** Tiled VAE decode: `'on'` always, `'auto'` when a whole decode does not fit. Default `'auto'`. */
  vaeTiling?: MemorySaving
  /**
   * The low-memory mode (tiles and one UNet row per call): `'on'` always, `'auto'` when neither
   * the normal mode nor the tiled decode fits, `'off'` never. Default `'off'`.
   */
  lowMemory?: MemorySaving
  /** The VAE's tile size in pixels (`tile_sample_min_size`). */
  tileSize: number
}

interface Candidate {
  tiles: boolean
  rows: number | null
}

/** The modes to try, lowest memory last, as the settings allow; repeats left out. */
function candidates(shape: RunShape, options: MemoryCheckOptions): Candidate[] {
  const tiling = options.vaeTiling ?? 'auto'
  const low = options.lowMemory ?? 'off'
  const whole: Candidate = { tiles: false, rows: null }
  const tiled: Candidate = { tiles: true, rows: null }
  const lowest: Candidate = { tiles: true, rows: 1 }
  const wanted =
    low === 'on'
      ? [lowest]
      : low === 'auto'
        ? tiling === 'on'
          ? [tiled, lowest]
          : [whole, tiled, lowest]
        : tiling === 'on'
          ? [tiled]
          : tiling === 'auto'
            ? [whole, tiled]
            : [whole]
  const tileable =
    shape.images > 0 && (shape.width > options.tileSize || shape.height > options.tileSize)
  const out: Candidate[] = []
  for (const c of wanted) {
    const effective = {
      tiles: c.tiles && tileable,
      rows: c.rows !== null && c.rows < shape.unetRows ? c.rows : null
    }
    if (!out.some((o) => o.tiles === effective.tiles && o.rows === effective.rows)) {
      out.push(effective)
    }
  }
  return out
}

function modeOf(c: Candidate): MemoryMode {
  return c.rows !== null ? 'low-memory' : c.tiles ? 'vae-tiles' : 'normal'
}

/** What a mode does, in words. */
function describeMode(c: Candidate, shape: RunShape, tileSize: number): string {
  const parts: string[] = []
  if (c.rows !== null) {
    parts.push(
      `the UNet ran its ${shape.unetRows} rows ${c.rows === 1 ? 'one' : c.rows} per call${shape.unetRows === 2 * shape.images ? ' (classifier-free guidance as separate unconditional and conditional calls)' : ''}`
    )
  }
  if (c.tiles) {
    parts.push(
      `the VAE decoded ${shape.width}×${shape.height} in tiles of ${tileSize} px (as diffusers' enable_vae_tiling)`
    )
  }
  return parts.join(' and ')
}

/**
 * What a run that decodes in tiles to fit says: the size, the tile, both estimates and the limit.
 */
export function vaeTilingNote(
  shape: RunShape,
  tileSize: number,
  whole: MemoryEstimate,
  tiled: MemoryEstimate,
  limit?: number
): string {
  const max = limit ?? defaultMemoryLimit()
  return `the VAE decoded ${shape.width}×${shape.height} in tiles of ${tileSize} px (as diffusers' enable_vae_tiling) to fit the memory limit of ${gib(max)}: a whole decode needs an estimated ${gib(whole.bytes)}, tiled ${gib(tiled.bytes)}`
}

/**
 * What a run in the low-memory mode says: what the mode did, the normal mode's estimate, the
 * low-memory mode's and the limit.
 */
export function lowMemoryNote(
  shape: RunShape,
  what: string,
  normal: MemoryEstimate,
  low: MemoryEstimate,
  limit?: number
): string {
  const max = limit ?? defaultMemoryLimit()
  return `low-memory mode: ${what} to fit the memory limit of ${gib(max)}: the normal mode needs an estimated ${gib(normal.bytes)}, the low-memory mode ${gib(low.bytes)}`
}

/**
 * The memory check of one run, before anything is allocated. It tries, in order and as the
 * settings allow, the normal mode, the VAE decoded in tiles of `tileSize` pixels (diffusers'
 * `enable_vae_tiling`) and the low-memory mode (tiles and the UNet one row per call), and
 * chooses the first whose estimate fits the limit; a mode chosen to fit (not asked for with
 * `'on'`) is said in `note`. When none fits, `refusal` names the first mode's estimate and, when
 * a lower one was tried, the lowest one's too.
 */
export function checkRunMemory(
  folder: Pick<ModelFolder, 'unetConfig' | 'vaeConfig'>,
  shape: RunShape,
  profile: MemoryProfile,
  graphs: RunGraphs,
  options: MemoryCheckOptions
): MemoryCheck {
  const tried = candidates(shape, options).map((c) => ({
    c,
    estimate: estimateRunMemory(
      folder,
      c.rows === null ? shape : { ...shape, unetRowsPerCall: c.rows },
      profile,
      c.tiles ? { ...graphs, vaeTileSize: options.tileSize } : graphs
    )
  }))
  const first = tried[0] as (typeof tried)[number]
  const result = (t: typeof first, note: string | null, refusal: string | null): MemoryCheck => ({
    estimate: t.estimate,
    mode: modeOf(t.c),
    vaeTileSize: t.c.tiles ? options.tileSize : null,
    unetRowsPerCall: t.c.rows,
    note,
    refusal
  })
  const max = options.limit ?? defaultMemoryLimit()
  const fits = tried.find((t) => t.estimate.bytes <= max)
  if (fits === undefined) {
    const last = tried[tried.length - 1] as typeof first
    const lowest =
      tried.length > 1 && last.c.rows !== null
        ? {
            estimate: last.estimate,
            mode: `one UNet row per call${last.c.tiles ? `, the VAE decoded in tiles of ${options.tileSize} px` : ''}`
          }
        : undefined
    return result(first, null, memoryRefusal(shape, first.estimate, options.limit, lowest))
  }
  if (fits === first) return result(first, null, null)
  const note =
    fits.c.rows === null
      ? vaeTilingNote(shape, options.tileSize, first.estimate, fits.estimate, options.limit)
      : lowMemoryNote(
          shape,
          describeMode(fits.c, shape, options.tileSize),
          first.estimate,
          fits.estimate,
          options.limit
        )
  return result(fits, note, null)
}
