/**
 * A model's size multiple, said the same way by the library, the run plan, the CLI and the form.
 * Widths and heights must be multiples of the VAE's scale factor times 2 per down-sampling of the
 * UNet (the engine works it out from the model: `ModelFolder.sizeMultiple`); other sizes reach
 * onnxruntime's Concat with skip connections of mismatched sizes.
 */

/** The sizes next to `value` that are multiples of `multiple` (the lower one only when above 0). */
export function nearestSizes(value: number, multiple: number): number[] {
  const lower = Math.floor(value / multiple) * multiple
  return lower > 0 ? [lower, lower + multiple] : [lower + multiple]
}

/**
 * Why `value` is no size for a model of size multiple `multiple`, as a field message ("must be a
 * multiple of 16 for this model …"), or null when it is one.
 */
export function sizeMultipleIssue(value: number, multiple: number): string | null {
  if (!Number.isFinite(value) || value % multiple === 0) return null
  const near = nearestSizes(value, multiple).join(' or ')
  return `must be a multiple of ${multiple} for this model, whose UNet halves the latent image evenly only at such sizes (got ${value}; try ${near})`
}

/**
 * The first of width and height that is no size for the model, as a sentence naming it ("width
 * must be a multiple of 16 …"), or null when both are.
 */
export function sizeMultipleError(
  size: { width: number; height: number },
  multiple: number
): string | null {
  for (const name of ['width', 'height'] as const) {
    const issue = sizeMultipleIssue(size[name], multiple)
    if (issue !== null) return `${name} ${issue}`
  }
  return null
}
