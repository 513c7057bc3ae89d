import { Tensor } from 'onnxruntime-node'
import type { TensorIo } from './graph-signature'
import type { ModelFolder, OnnxComponent } from './model-folder'

/**
 * The tiny test run of a graph-pass exactness check: deterministic inputs at a small size
 * (16×16 latents, batch 1, 8 text tokens) for a UNet or a VAE decoder, and the comparison of two
 * runs' outputs. Sizes the graph fixes are taken as declared; the others come from the model's
 * configs.
 */

/** Latent height and width of the test run. */
export const CHECK_LATENT_SIZE = 16
/** Text tokens of the test run's encoder_hidden_states. */
const CHECK_TOKENS = 8

function fixed(io: TensorIo, axis: number): number | null {
  const d = io.shape[axis]
  return typeof d === 'number' && d > 0 ? d : null
}

function numberIn(raw: Record<string, unknown>, key: string): number | null {
  const v = raw[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** Deterministic values in [-1, 1] (a linear congruential sequence), the same on every run. */
function values(count: number, seed: number): Float32Array {
  let x = seed
  return Float32Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x / 2 ** 30 - 1
  })
}

/** Resolves one input's dims; null when a size is neither declared nor in the configs. */
function dimsFor(
  component: OnnxComponent,
  io: TensorIo,
  folder: ModelFolder
): (number | null)[] | null {
  const batch = fixed(io, 0) ?? 1
  const unet = folder.unetConfig
  const raw = unet.raw as Record<string, unknown>
  const s = CHECK_LATENT_SIZE
  if (component === 'vae_decoder' && io.name === 'latent_sample') {
    const c =
      fixed(io, 1) ??
      numberIn(folder.vaeConfig.raw as Record<string, unknown>, 'latent_channels') ??
      4
    return [batch, c, s, s]
  }
  switch (io.name) {
    case 'sample':
      return [batch, fixed(io, 1) ?? unet.inChannels ?? 4, s, s]
    case 'timestep':
      return io.shape.length === 0 ? [] : [fixed(io, 0) ?? 1]
    case 'encoder_hidden_states':
      return [
        batch,
        fixed(io, 1) ?? CHECK_TOKENS,
        fixed(io, 2) ?? numberIn(raw, 'cross_attention_dim')
      ]
    case 'text_embeds': {
      const pooled =
        unet.projectionClassEmbeddingsInputDim !== null && unet.additionTimeEmbedDim !== null
          ? unet.projectionClassEmbeddingsInputDim - 6 * unet.additionTimeEmbedDim
          : null
      return [batch, fixed(io, 1) ?? pooled]
    }
    case 'time_ids':
      return [batch, fixed(io, 1) ?? 6]
    case 'timestep_cond':
      return [batch, fixed(io, 1) ?? unet.timeCondProjDim]
    default:
      return null
  }
}

/**
 * Float32 feeds for the test run of `component` (the model run converts them to the declared
 * types), or a sentence saying which size could not be worked out.
 */
export function checkFeeds(
  component: OnnxComponent,
  inputs: readonly TensorIo[],
  folder: ModelFolder
): Record<string, Tensor> | string {
  const feeds: Record<string, Tensor> = {}
  inputs.forEach((io, k) => {
    const dims = dimsFor(component, io, folder)
    if (dims === null || dims.some((d) => d === null)) return
    const shape = dims as number[]
    const count = shape.reduce((n, d) => n * d, 1)
    const data = io.name === 'timestep' ? new Float32Array(count).fill(500) : values(count, 7 + k)
    feeds[io.name] = new Tensor('float32', data, shape)
  })
  const missing = inputs.filter((io) => !(io.name in feeds)).map((io) => io.name)
  if (missing.length > 0) {
    return `no test input could be made for ${missing.join(', ')} (sizes neither fixed in the graph nor in its config)`
  }
  return feeds
}

/**
 * max |candidate − reference| / max |reference| over every output both runs have; Infinity when
 * either has a non-finite value or an output's shape differs.
 */
export function relativeDifference(
  reference: Record<string, Tensor>,
  candidate: Record<string, Tensor>
): number {
  let worst = 0
  for (const [name, ref] of Object.entries(reference)) {
    const other = candidate[name]
    if (other === undefined) continue
    const a = ref.data as Float32Array
    const b = other.data as Float32Array
    if (a.length !== b.length || ref.dims.join() !== other.dims.join()) return Infinity
    let maxRef = 0
    let maxDiff = 0
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number
      const y = b[i] as number
      if (!Number.isFinite(x) || !Number.isFinite(y)) return Infinity
      maxRef = Math.max(maxRef, Math.abs(x))
      maxDiff = Math.max(maxDiff, Math.abs(x - y))
    }
    // An all-zero reference leaves only an exact match at 0.
    if (maxDiff > 0) worst = Math.max(worst, maxDiff / Math.max(maxRef, 1e-30))
  }
  return worst
}
