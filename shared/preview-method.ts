/**
 * Preview methods as every layer names them: how a step's preview is made from its latents.
 * One definition for the engine (`PreviewCallback`), the parameter schema (the app's picker, the
 * API) and the CLI (`--preview-method`), so a method is read and refused the same way whichever
 * door it came through.
 *
 * - `linear`: the latent → RGB table (the model's fitted factors, else the family's), at latent
 *   resolution; no network runs, well under a millisecond.
 * - `tiny`: a TAESD-class decoder (`preview_decoder/model.onnx` in the model folder, or a
 *   separately downloaded TAESD folder), full resolution.
 * - `vae` with `every` N: the model's own VAE decoder at step indices 0, N, 2N, … and at the last
 *   step (exactly the final image's decode path), `linear` at the steps in between.
 */
export type PreviewMethod =
  | { name: 'linear' }
  | { name: 'tiny' }
  | {
      name: 'vae'
      /** The VAE runs every `every` steps (1 = every step). */
      every: number
    }

/** The method that made one preview frame (a `vae:N` run makes `vae` and `linear` frames). */
export type PreviewMethodName = PreviewMethod['name']

/** The method names, in the order a picker lists them (cheapest first). */
export const PREVIEW_METHOD_NAMES: readonly PreviewMethodName[] = ['linear', 'tiny', 'vae']

/** What a refusal lists as allowed. */
export const PREVIEW_METHOD_USAGE =
  'use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'

/**
 * Reads a preview method as a user writes it: `linear`, `tiny`, `vae` (every step) or `vae:N`
 * with N a positive whole number of steps. Case and surrounding spaces are ignored. Anything
 * else is refused with a message that quotes the input and lists what is allowed.
 */
export function parsePreviewMethod(text: string): PreviewMethod {
  const raw = String(text)
  const s = raw.trim().toLowerCase()
  if (s === 'linear') return { name: 'linear' }
  if (s === 'tiny') return { name: 'tiny' }
  if (s === 'vae') return { name: 'vae', every: 1 }
  const m = /^vae\s*:\s*(.*)$/.exec(s)
  if (m !== null) {
    const n = (m[1] as string).trim()
    if (!/^\d+$/.test(n) || Number(n) < 1 || !Number.isSafeInteger(Number(n))) {
      throw new Error(
        `preview method "${raw}": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5), got "${n}"`
      )
    }
    return { name: 'vae', every: Number(n) }
  }
  if (s === '') throw new Error(`the preview method is empty: ${PREVIEW_METHOD_USAGE}`)
  throw new Error(`unknown preview method "${raw}": ${PREVIEW_METHOD_USAGE}`)
}

/** The text form: `linear`, `tiny`, `vae` (every step) or `vae:N`; parses back to the same method. */
export function formatPreviewMethod(method: PreviewMethod): string {
  if (method.name === 'vae') return method.every === 1 ? 'vae' : `vae:${method.every}`
  return method.name
}

/** How a person reads a method: "tiny decoder", "VAE every 5 steps", … */
export function describePreviewMethod(method: PreviewMethod): string {
  switch (method.name) {
    case 'linear':
      return 'linear (latent colours)'
    case 'tiny':
      return 'tiny decoder'
    case 'vae':
      return method.every === 1 ? 'VAE every step' : `VAE every ${method.every} steps`
  }
}
