import type { JSX } from 'react'
import { useObjectUrl } from '../hooks/use-object-url'
import { usePersistentFlag } from '../hooks/use-persistent-flag'
import { samplerLabel } from '../lib/labels'
import { previewFrames } from '../lib/preview-frames'
import { formatDuration } from '../lib/run-stats'
import { useJobStore } from '../store/job-store'
import { LiveCanvas } from './live-canvas'
import { RgbaCanvas } from './rgba-canvas'
import { StepDetails } from './step-details'
import { UseAsInputButton } from './use-as-input-button'

/**
 * The large view: the newest step while a run goes on, the decoded image when it ends, or a step
 * opened from the gallery for inspection.
 */
export function LiveView(): JSX.Element {
  const live = useJobStore((s) => s.live)
  const inspectedIndex = useJobStore((s) => s.inspectedStep)
  const inspect = useJobStore((s) => s.inspect)
  const finalUrl = useObjectUrl(live?.finalImage ?? null)
  const [pixelated, setPixelated] = usePersistentFlag('stepwise.pixelated', false)

  const inspected =
    inspectedIndex === null ? undefined : live?.steps.find((s) => s.index === inspectedIndex)
  const inspectedFrame = inspected === undefined ? undefined : previewFrames.get(inspected.index)
  const result = live?.result ?? null
  const stageClass = `stage-image${pixelated ? ' pixelated' : ''}`

  let body: JSX.Element
  let caption: JSX.Element | string
  if (live === null) {
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
        <StepDetails step={inspected} total={live.total} />
        <button type="button" onClick={() => inspect(null)} data-testid="back-to-live">
          Back to {result === null ? 'live' : 'result'}
        </button>
      </>
    )
  } else if (live.finalImage !== null && result !== null) {
    const alt = `${result.interrupted ? 'Partially denoised image' : 'Generated image'}: ${live.params?.prompt ?? ''}`
    body =
      finalUrl === null ? (
        <RgbaCanvas image={live.finalImage} className="stage-image" label={alt} />
      ) : (
        <img src={finalUrl} alt={alt} className="stage-image" data-testid="final-image" />
      )
    caption = (
      <span data-testid="result-summary">
        {result.interrupted
          ? `Stopped at step ${result.stepsRun} of ${result.numTimesteps}: partially denoised, decoded`
          : 'Final image'}{' '}
        · {result.width}×{result.height} · seed {result.seed} · {samplerLabel(result)} ·{' '}
        {formatDuration(result.totalMs)} on {result.provider}
        {result.strength !== undefined ? ` · strength ${result.strength}` : ''}{' '}
        <UseAsInputButton historyId={live.historyId} image={live.finalImage} />
      </span>
    )
  } else {
    const last = live.steps[live.steps.length - 1]
    body = (
      <LiveCanvas
        jobId={live.jobId}
        className={stageClass}
        label={
          last === undefined ? 'Waiting for the first step' : `Preview of step ${last.index + 1}`
        }
      />
    )
    caption =
      last === undefined
        ? 'Waiting for the first step…'
        : `Step ${last.index + 1} of ${live.total} · latent-resolution preview`
  }

  return (
    <section className="stage" aria-label="Live view">
      <div className="stage-frame">{body}</div>
      <div className="stage-caption">
        <div className="stage-caption-text">{caption}</div>
        <label className="check small">
          <input
            type="checkbox"
            checked={pixelated}
            onChange={(e) => setPixelated(e.target.checked)}
          />
          Show preview pixels
        </label>
      </div>
      {live !== null && live.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings" data-testid="warnings">
          {live.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  )
}
