import type { JSX } from 'react'
import type { LiveStep } from '../store/job-store'
import { describeStepPreview } from '../lib/preview-methods'
import { formatDuration } from '../lib/run-stats'

/** Props of {@link StepDetails}. */
export interface StepDetailsProps {
  step: LiveStep
  total: number
}

/** What happened in one step: its number, timestep, time, whether CFG ran and its preview. */
export function StepDetails({ step, total }: StepDetailsProps): JSX.Element {
  return (
    <dl className="step-details" data-testid="step-details">
      <div>
        <dt>Step</dt>
        <dd>
          {step.index + 1} of {total}
        </dd>
      </div>
      <div>
        <dt>Timestep</dt>
        <dd>{Math.round(step.timestep * 100) / 100}</dd>
      </div>
      <div>
        <dt>Time</dt>
        <dd>
          {formatDuration(step.ms)} (UNet {formatDuration(step.unetMs)})
        </dd>
      </div>
      <div>
        <dt>CFG</dt>
        <dd>
          {step.cfg ? 'on' : 'off'} · UNet batch {step.unetBatch}
        </dd>
      </div>
      <div>
        <dt>Preview</dt>
        <dd data-testid="step-preview-method" data-method={step.previewMethod ?? 'none'}>
          {describeStepPreview(step.previewMethod, step.previewMs)}
        </dd>
      </div>
    </dl>
  )
}
