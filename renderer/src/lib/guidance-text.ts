import type { ResultMetadata } from '../contract'
import { formatPercent } from './run-stats'

/**
 * The guidance control's sentences: where guidance runs (before a run: as planned; during it:
 * as the inference process reports), and what a finished run saved.
 */

/** Where guidance runs in a run of `total` steps, 1-based as people count steps. */
export function guidanceSummary(total: number, start: number, cutoffStep: number | null): string {
  if (start <= 0) {
    return cutoffStep === null
      ? 'Guidance on every step'
      : `Guidance ends after step ${cutoffStep + 1} of ${total}`
  }
  if (cutoffStep !== null && cutoffStep < start) return `No guidance on any of the ${total} steps`
  const end = cutoffStep === null ? 'the last step' : `step ${cutoffStep + 1}`
  return `Guidance from step ${start + 1} to ${end} of ${total}`
}

/**
 * What a finished run's guidance did and saved: UNet time (measured), the saving its window
 * predicted, and the UNet batch rows saved.
 */
export function measuredSummary(
  result: Pick<
    ResultMetadata,
    'cfgCutoffStep' | 'guidanceStartStep' | 'unetSavedFraction' | 'numTimesteps'
  >,
  rowsSaved: number,
  predicted: number
): string {
  const start = result.guidanceStartStep ?? 0
  const end = result.cfgCutoffStep
  if (start <= 0 && end === null) return 'guidance on every step, nothing saved'
  const where =
    start <= 0
      ? `guidance ended after step ${(end as number) + 1}`
      : `guidance ran from step ${start + 1} to ${end === null ? 'the last step' : `step ${end + 1}`}`
  return `${where}, saved ${formatPercent(result.unetSavedFraction)} of UNet time (measured), ${formatPercent(predicted)} predicted, and ${formatPercent(rowsSaved)} of UNet batch rows`
}
