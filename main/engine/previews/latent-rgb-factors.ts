/**
 * Linear latent → RGB approximations used for cheap per-step previews (no VAE run). Each table
 * has one row per latent channel and three columns (R, G, B):
 * `rgb = Σ_c latent[c] · factors[c] + bias`.
 */

/** How the affine result becomes bytes. */
export type PreviewMapping =
  /** ComfyUI's: values approximate pixels in [−1, 1]; clamp, then `(v + 1) · 127.5`, rounded. */
  | 'signed-unit'
  /** The diffusers docs' integer table: values are already 0–255; clamp, then truncate to bytes. */
  | 'bytes'

/** A latent → RGB table. */
export interface LatentRgbFactors {
  /** Where the numbers come from, for display and debugging. */
  name: string
  /** One `[R, G, B]` row per latent channel. */
  factors: readonly (readonly [number, number, number])[]
  bias: readonly [number, number, number]
  mapping: PreviewMapping
}

/** SD 1.x / 2.x (kl-f8 VAE latent space): ComfyUI's `SD15` table, no bias. */
export const SD1_LATENT_RGB_FACTORS: LatentRgbFactors = {
  name: 'ComfyUI SD15',
  factors: [
    [0.3512, 0.2297, 0.3227],
    [0.325, 0.4974, 0.235],
    [-0.2829, 0.1762, 0.2721],
    [-0.212, -0.2616, -0.7177]
  ],
  bias: [0, 0, 0],
  mapping: 'signed-unit'
}

/** SDXL: ComfyUI's `SDXL` table with its bias. */
export const SDXL_LATENT_RGB_FACTORS: LatentRgbFactors = {
  name: 'ComfyUI SDXL',
  factors: [
    [0.3651, 0.4232, 0.4341],
    [-0.2533, -0.0042, 0.1068],
    [0.1076, 0.1111, -0.0362],
    [-0.3165, -0.2492, -0.2188]
  ],
  bias: [0.1084, -0.0175, -0.0011],
  mapping: 'signed-unit'
}

/** SD3 (16 latent channels): ComfyUI's `SD3` table with its bias. */
export const SD3_LATENT_RGB_FACTORS: LatentRgbFactors = {
  name: 'ComfyUI SD3',
  factors: [
    [-0.0922, -0.0175, 0.0749],
    [0.0311, 0.0633, 0.0954],
    [0.1994, 0.0927, 0.0458],
    [0.0856, 0.0339, 0.0902],
    [0.0587, 0.0272, -0.0496],
    [-0.0006, 0.1104, 0.0309],
    [0.0978, 0.0306, 0.0427],
    [-0.0042, 0.1038, 0.1358],
    [-0.0194, 0.002, 0.0669],
    [-0.0488, 0.013, -0.0268],
    [0.0922, 0.0988, 0.0951],
    [-0.0278, 0.0524, -0.0542],
    [0.0332, 0.0456, 0.0895],
    [-0.0069, -0.003, -0.081],
    [-0.0596, -0.0465, -0.0293],
    [-0.1448, -0.1463, -0.1189]
  ],
  bias: [0.2394, 0.2135, 0.1925],
  mapping: 'signed-unit'
}

/**
 * The SDXL integer table of diffusers' callback documentation ("Display intermediate images"),
 * from the SDXL-latent-space blog: output already in 0–255, clamped and truncated.
 */
export const SDXL_DIFFUSERS_DOCS_LATENT_RGB_FACTORS: LatentRgbFactors = {
  name: 'diffusers docs SDXL',
  factors: [
    [60, 60, 60],
    [-60, -5, 10],
    [25, 15, -5],
    [-70, -50, -35]
  ],
  bias: [150, 140, 130],
  mapping: 'bytes'
}

/** The built-in table for a model family (`sd` covers SD 1.x, 2.x and SD-Turbo). */
export function latentRgbFactorsForFamily(family: 'sd' | 'sdxl' | 'sd3'): LatentRgbFactors {
  if (family === 'sdxl') return SDXL_LATENT_RGB_FACTORS
  if (family === 'sd3') return SD3_LATENT_RGB_FACTORS
  return SD1_LATENT_RGB_FACTORS
}

/**
 * A table fitted for one model (Stepwise's `stepwise.json` `latent_rgb_factors` /
 * `latent_rgb_bias`), in ComfyUI's [−1, 1] convention.
 */
export function modelLatentRgbFactors(
  factors: readonly (readonly number[])[],
  bias: readonly number[] | null,
  name = 'model-provided'
): LatentRgbFactors {
  const rows = factors.map((row) => {
    if (row.length !== 3)
      throw new Error(`each latent_rgb_factors row needs 3 values (R, G, B), got ${row.length}`)
    return [row[0], row[1], row[2]] as [number, number, number]
  })
  if (bias !== null && bias.length !== 3) {
    throw new Error(`latent_rgb_bias needs 3 values (R, G, B), got ${bias.length}`)
  }
  return {
    name,
    factors: rows,
    bias: bias === null ? [0, 0, 0] : [bias[0] as number, bias[1] as number, bias[2] as number],
    mapping: 'signed-unit'
  }
}
