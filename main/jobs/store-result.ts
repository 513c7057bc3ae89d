import type { RgbaImage } from '../../shared/contract'
import { serializeRunSnapshots } from '../engine'
import type { EventHub } from '../events/event-hub'
import type { HistoryStore } from '../history/history-store'
import type { GenerationResult } from '../inference/protocol'
import type { Job } from './job'
import { resultMetadata, toRgbaImage } from './job-result'

/**
 * Stores a finished (done or stopped) run in history and sends `job:done`. Each image of a
 * batch becomes a history entry of its own; a history failure is reported with the result
 * (`historyError`), never instead of it. Throws when the run has no image (the job fails).
 */
export async function storeResult(
  job: Job,
  result: GenerationResult,
  parentHistoryId: string | null,
  to: { history: HistoryStore; events: EventHub }
): Promise<void> {
  const metadata = resultMetadata(job, result, parentHistoryId)
  if (result.images.length === 0) throw new Error('the inference process returned no image')
  const images = result.images.map(toRgbaImage)
  // The run's state holds the whole batch: it goes with the first image, like the previews.
  const state =
    result.snapshots.length === 0
      ? {}
      : {
          state: {
            bytes: serializeRunSnapshots(result.snapshots),
            steps: result.snapshots.map((s) => s.step)
          }
        }
  // Each image of a batch is a history entry of its own; kept previews go with the first.
  const stored: { image: RgbaImage; historyId: string | null }[] = []
  let historyError: string | undefined
  for (const [index, image] of images.entries()) {
    const batch = images.length > 1 ? { batchIndex: index, batchSize: images.length } : {}
    try {
      const entry = await to.history.add({
        params: {
          ...job.params,
          cfgCutoff: metadata.cfgCutoff,
          cfgInterval: metadata.cfgInterval ?? null
        },
        result: { ...metadata, ...batch },
        image,
        previews:
          index === 0
            ? [...job.previews].map(([step, preview]) => ({ index: step, image: preview }))
            : [],
        ...(index === 0 ? state : {})
      })
      stored.push({ image, historyId: entry.id })
      if (index === 0) job.historyId = entry.id
    } catch (error) {
      historyError ??= error instanceof Error ? error.message : String(error)
      stored.push({ image, historyId: null })
    }
  }
  if (stored.some((s) => s.historyId !== null)) {
    to.events.emit({ type: 'history:changed' })
  }
  const first = stored[0] as { image: RgbaImage; historyId: string | null }
  to.events.emit({
    type: 'job:done',
    jobId: job.id,
    image: first.image,
    result: images.length > 1 ? { ...metadata, batchIndex: 0, batchSize: images.length } : metadata,
    historyId: first.historyId,
    ...(historyError === undefined ? {} : { historyError }),
    ...(images.length > 1 ? { batch: stored } : {})
  })
}
