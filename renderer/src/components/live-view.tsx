import { useState } from 'react'
import type { JSX } from 'react'
import type { RgbaImage } from '../contract'
import { useObjectUrl } from '../hooks/use-object-url'
import { usePersistentFlag } from '../hooks/use-persistent-flag'
import { usePreviewFrame } from '../hooks/use-preview-frame'
import { historyImageBlob } from '../lib/history-images'
import { resultFileName } from '../lib/image-files'
import { samplerLabel } from '../lib/labels'
import { rgbaToPngBlob } from '../lib/paint-rgba'
import { paramsOfResult } from '../lib/resume-params'
import { useAppStore } from '../store/app-store'
import { formatDuration } from '../lib/run-stats'
import type { ResultMetadata } from '../contract'
import { useJobStore } from '../store/job-store'
import { continueRun } from '../store/run-actions'
import {
  selectInspectedStep,
  selectLastPreviewMethod,
  selectLastStepIndex,
  selectTotal
} from '../store/live-selectors'
import { LiveCanvas } from './live-canvas'
import { PreviewMethodPicker } from './preview-method-picker'
import { RgbaCanvas } from './rgba-canvas'
import { ImageActions } from './image-actions'
import { StepDetails } from './step-details'
import { UseAsInputButton } from './use-as-input-button'

/** No batch: one shared empty list, so "no batch" does not look like a change. */
const NO_BATCH: readonly { image: RgbaImage; historyId: string | null }[] = []

/** The newest step's preview, large; only this and {@link LiveCaption} follow every step. */
function LiveStageCanvas({ jobId, className }: { jobId: string; className: string }): JSX.Element {
  const last = useJobStore(selectLastStepIndex)
  return (
    <LiveCanvas
      jobId={jobId}
      className={className}
      label={last === null ? 'Waiting for the first step' : `Preview of step ${last + 1}`}
    />
  )
}

/** "Step k of N · tiny preview 512×512" under the running preview. */
function LiveCaption(): JSX.Element {
  const last = useJobStore(selectLastStepIndex)
  const total = useJobStore(selectTotal)
  const method = useJobStore(selectLastPreviewMethod)
  const frame = usePreviewFrame(last)
  const preview =
    method === undefined
      ? 'no preview'
      : `${method} preview${frame === undefined ? '' : ` ${frame.width}×${frame.height}`}`
  return (
    <>
      {last === null ? 'Waiting for the first step…' : `Step ${last + 1} of ${total} · ${preview}`}
    </>
  )
}

/**
 * Continue on a stopped run: the remaining steps from where it stopped (its History entry's
 * kept state, else the job's steps the inference process holds).
 */
function ContinueButton({ result }: { result: ResultMetadata }): JSX.Element {
  const onClick = (): void => {
    const live = useJobStore.getState().live
    if (live === null || live.params === null) return
    void continueRun(
      paramsOfResult(live.params, result),
      result,
      live.historyId !== null ? { historyId: live.historyId } : { jobId: live.jobId }
    )
  }
  return (
    <button
      type="button"
      className="primary"
      data-testid="continue-button"
      title="Run the remaining steps from where it stopped: the image the run would have made"
      onClick={onClick}
    >
      Continue
    </button>
  )
}

/**
 * The large view: the newest step while a run goes on, the decoded image when it ends, or a step
 * opened from the gallery for inspection. It subscribes to the parts of the live job it shows;
 * the per-step parts of a running job are the small components above.
 */
export function LiveView(): JSX.Element {
  const jobId = useJobStore((s) => s.live?.jobId ?? null)
  const inspected = useJobStore(selectInspectedStep)
  const total = useJobStore(selectTotal)
  const liveFinal = useJobStore((s) => s.live?.finalImage ?? null)
  const liveHistoryId = useJobStore((s) => s.live?.historyId ?? null)
  const batch = useJobStore((s) => s.live?.batch ?? NO_BATCH)
  const result = useJobStore((s) => s.live?.result ?? null)
  const api = useAppStore((s) => s.api)
  // Which image of a batch is shown large (reset when another job's batch arrives).
  const [picked, setPicked] = useState<{ batch: typeof batch; index: number } | null>(null)
  const pickedIndex = picked !== null && picked.batch === batch ? picked.index : 0
  const shown = batch[pickedIndex]
  const finalImage = shown?.image ?? liveFinal
  const historyId = shown === undefined ? liveHistoryId : shown.historyId
  const prompt = useJobStore((s) => s.live?.params?.prompt ?? '')
  const warnings = useJobStore((s) => s.live?.warnings ?? null)
  // Said with the result: the run used a lower-memory mode to fit the memory limit.
  const memoryNote = useJobStore((s) => s.live?.result?.memoryNote ?? null)
  const inspect = useJobStore((s) => s.inspect)
  const inspectedFrame = usePreviewFrame(inspected?.index ?? null)
  const finalUrl = useObjectUrl(finalImage)
  const [pixelated, setPixelated] = usePersistentFlag('stepwise.pixelated', false)

  const stageClass = `stage-image${pixelated ? ' pixelated' : ''}`

  let body: JSX.Element
  let caption: JSX.Element | string
  if (jobId === null) {
    body = <p className="stage-empty">Type a prompt and press Generate to watch it form.</p>
    caption = 'Nothing generated yet'
  } else if (inspected !== undefined) {
    body =
      inspectedFrame === undefined ? (
        <p className="stage-empty">No preview was sent for this step.</p>
      ) : (
        <RgbaCanvas
          image={inspectedFrame}
          className={stageClass}
          label={`Preview of step ${inspected.index + 1}`}
        />
      )
    caption = (
      <>
        <StepDetails step={inspected} total={total} />
        <button type="button" onClick={() => inspect(null)} data-testid="back-to-live">
          Back to {result === null ? 'live' : 'result'}
        </button>
      </>
    )
  } else if (finalImage !== null && result !== null) {
    const alt = `${result.interrupted ? 'Partially denoised image' : 'Generated image'}: ${prompt}`
    body =
      finalUrl === null ? (
        <RgbaCanvas image={finalImage} className="stage-image" label={alt} />
      ) : (
        <img src={finalUrl} alt={alt} className="stage-image" data-testid="final-image" />
      )
    const image = finalImage
    caption = (
      <>
        <span data-testid="result-summary">
          {result.interrupted
            ? `Stopped at step ${result.stepsRun} of ${result.numTimesteps}: partially denoised, decoded`
            : 'Final image'}{' '}
          · {result.width}×{result.height} · seed {result.seed} · {samplerLabel(result)} ·{' '}
          {formatDuration(result.totalMs)} on {result.provider}
          {batch.length > 1 && ` · image ${pickedIndex + 1} of ${batch.length}`}
          {result.strength !== undefined ? ` · strength ${result.strength}` : ''}
          {result.resumedFrom != null && ` · continued from step ${result.resumedFrom.step + 1}`}
        </span>
        <ImageActions
          prefix="result"
          alt={alt}
          historyId={historyId}
          fileName={resultFileName(result.seed, batch.length > 1 ? pickedIndex : undefined)}
          png={() =>
            historyId !== null && api !== null
              ? historyImageBlob(api, historyId)
              : rgbaToPngBlob(image)
          }
        />
        <UseAsInputButton historyId={historyId} image={finalImage} />
        {result.interrupted && result.stepsRun > 0 && result.strength === undefined && (
          <ContinueButton result={result} />
        )}
      </>
    )
  } else {
    body = <LiveStageCanvas jobId={jobId} className={stageClass} />
    caption = <LiveCaption />
  }

  return (
    <section className="stage" aria-label="Live view">
      {jobId !== null && prompt !== '' && (
        <p className="stage-prompt" data-testid="live-prompt" title={prompt}>
          {prompt}
        </p>
      )}
      <div className="stage-frame" data-testid="stage-frame">
        {body}
      </div>
      {batch.length > 1 && inspected === undefined && (
        <ul className="batch-strip" aria-label="Images of this run">
          {batch.map((b, i) => (
            <li key={i}>
              <button
                type="button"
                data-testid="batch-image"
                aria-pressed={i === pickedIndex}
                aria-label={`Image ${i + 1} of ${batch.length}`}
                onClick={() => setPicked({ batch, index: i })}
              >
                <RgbaCanvas image={b.image} className="batch-thumb" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="stage-caption">
        <div className="stage-caption-text">{caption}</div>
        <div className="stage-options">
          <PreviewMethodPicker />
          <label
            className="check small"
            title="Draw small previews with hard pixel edges instead of smoothing them when enlarged"
          >
            <input
              type="checkbox"
              data-testid="pixelated-toggle"
              checked={pixelated}
              onChange={(e) => setPixelated(e.target.checked)}
            />
            Sharp pixels (no smoothing)
          </label>
        </div>
      </div>
      {memoryNote !== null && (
        <p className="memory-note" role="status" data-testid="low-memory-note">
          {memoryNote.charAt(0).toUpperCase() + memoryNote.slice(1)}
        </p>
      )}
      {warnings !== null && warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings" data-testid="warnings">
          {warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  )
}
