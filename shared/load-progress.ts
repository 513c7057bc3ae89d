import type { ModelLoadProgress } from './contract'
import { formatBytes } from './format-bytes'

/**
 * A component's load in words, as the app's status and the CLI say it: "Loading UNet (2 of 4,
 * 3.4 GB)…" while it loads, "Loaded UNet (2 of 4) in 1.2 s" once it has.
 */
export function describeLoadProgress(progress: ModelLoadProgress): string {
  const { label, index, total, phase, bytes, ms } = progress
  if (phase === 'start') {
    const size = bytes === null ? '' : `, ${formatBytes(bytes)}`
    return `Loading ${label} (${index} of ${total}${size})…`
  }
  const took = ms === undefined ? '' : ` in ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  return `Loaded ${label} (${index} of ${total})${took}`
}
