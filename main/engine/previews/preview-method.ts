import {
  formatPreviewMethod,
  parsePreviewMethod,
  PREVIEW_METHOD_NAMES,
  PREVIEW_METHOD_USAGE,
  type PreviewMethod,
  type PreviewMethodName
} from '../../../shared/preview-method'

// The method type and its text form are shared with the parameter schema and the CLI
// (shared/preview-method.ts), so every door reads and refuses a method the same way.
export { formatPreviewMethod, parsePreviewMethod, PREVIEW_METHOD_NAMES }
export type { PreviewMethod, PreviewMethodName }

/** Checks a method given as an object (library callers) and returns a normalised copy. */
export function checkPreviewMethod(method: PreviewMethod): PreviewMethod {
  const name: unknown = (method as { name?: unknown } | null)?.name
  if (name === 'linear' || name === 'tiny') return { name }
  if (name === 'vae') {
    const every: unknown = (method as { every?: unknown }).every
    if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) {
      throw new Error(
        `preview method vae: "every" must be a whole number of steps, 1 or more, got ${String(every)}`
      )
    }
    return { name, every }
  }
  throw new Error(`unknown preview method ${JSON.stringify(method)}: ${PREVIEW_METHOD_USAGE}`)
}

/** A method from its text form or object form; see {@link parsePreviewMethod}. */
export function toPreviewMethod(method: PreviewMethod | string): PreviewMethod {
  return typeof method === 'string' ? parsePreviewMethod(method) : checkPreviewMethod(method)
}

/**
 * Which method makes the preview of step `stepIndex` of `numTimesteps` under `method`: a `vae:N`
 * run decodes with the VAE at indices 0, N, 2N, … and at the last step, and uses `linear` in
 * between; the other methods are used as they are.
 */
export function previewMethodAtStep(
  method: PreviewMethod,
  stepIndex: number,
  numTimesteps: number
): PreviewMethodName {
  if (method.name !== 'vae') return method.name
  return stepIndex % method.every === 0 || stepIndex === numTimesteps - 1 ? 'vae' : 'linear'
}
