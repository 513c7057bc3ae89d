import type { JSX } from 'react'
import {
  guidanceWindow,
  lastGuidedStep,
  predictedWindowSaving
} from '../../../shared/guidance-window'
import { batchWorkSaved, cutoffFromPercent, minLivePercent } from '../lib/cfg-cutoff'
import { intervalFromForm, parseNumberField, validCutoffFromForm } from '../lib/form-params'
import { guidanceSummary, measuredSummary } from '../lib/guidance-text'
import { formatPercent } from '../lib/run-stats'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { cutoffLocked, startLocked, useJobStore } from '../store/job-store'
import {
  selectLastStepIndex,
  selectRunning,
  selectShownStartStep,
  selectStepsDone
} from '../store/live-selectors'
import { moveLiveCutoff } from '../store/run-actions'
import { useRunPlanStore } from '../store/run-plan-store'
import { CutoffStrip } from './cutoff-strip'
import { GuidanceLiveInput } from './guidance-live-input'
import { GuidanceRange } from './guidance-range'

/** The cutoff strip with the live run's progress: the only part of the control that follows steps. */
function LiveCutoffStrip({
  total,
  start,
  cutoffStep,
  running
}: {
  total: number
  start: number
  cutoffStep: number | null
  running: boolean
}): JSX.Element {
  // A continued run's strip counts its parent's steps as done too.
  const done = useJobStore((s) =>
    running ? (s.live?.params?.resumeFrom?.step ?? -1) + 1 + selectStepsDone(s) : 0
  )
  return <CutoffStrip total={total} start={start} cutoffStep={cutoffStep} done={done} />
}

/**
 * Where classifier-free guidance runs: a range of the steps (two handles), and diffusers' cutoff
 * (where guidance ends, as a share of the steps or an exact step); guidance runs where both
 * allow it. Before a run they are parameters; during a run they steer the inference process's
 * live guidance until each bound's step has passed, and lock then (guidance cannot come back
 * once ended, nor move its start once begun). The guidance scale itself can move during the run.
 * It shows the UNet work saved: predicted, then measured.
 */
export function CfgCutoffControl(): JSX.Element {
  const values = useFormStore((s) => s.values)
  const error = useFormStore((s) => s.fieldErrors.cutoff ?? s.fieldErrors.interval)
  const set = useFormStore((s) => s.set)
  const model = useAppStore((s) => s.models.find((m) => m.id === values.modelId))
  const running = useJobStore(selectRunning)
  const liveTotal = useJobStore((s) => s.live?.total ?? 0)
  const liveCutoff = useJobStore((s) => s.live?.cutoff ?? null)
  const liveStart = useJobStore(selectShownStartStep)
  const liveGuidance = useJobStore((s) => s.live?.params?.guidanceScale)
  const liveJobId = useJobStore((s) => s.live?.jobId ?? 'none')
  const measured = useJobStore((s) => s.live?.result ?? null)
  // Counted once the run has a result (the steps no longer change then).
  const rowsSaved = useJobStore((s) => (s.live?.result == null ? 0 : batchWorkSaved(s.live.steps)))
  const locked = useJobStore((s) => cutoffLocked(s.live))
  const started = useJobStore((s) => startLocked(s.live))
  const plannedTimesteps = useRunPlanStore((s) => s.numTimesteps)

  const formSteps = parseNumberField(values.steps)
  const steps = typeof formSteps === 'number' ? formSteps : (model?.defaults.numInferenceSteps ?? 0)
  // Before a run: T as main plans it for the form (the step count until its answer is in).
  const total = running ? liveTotal : (plannedTimesteps ?? steps)
  const validCutoff = validCutoffFromForm(values)
  const interval = intervalFromForm(values)
  const cutoffStep =
    running && liveCutoff !== null
      ? liveCutoff.cutoffStep
      : lastGuidedStep(total, validCutoff, interval)
  const start = running ? liveStart : guidanceWindow(total, validCutoff, interval).start
  const span = { start, end: cutoffStep === null ? total : cutoffStep + 1 }
  const guidanceText = running ? liveGuidance : parseNumberField(values.guidance)
  const guidance =
    typeof guidanceText === 'number' ? guidanceText : (model?.defaults.guidanceScale ?? 0)
  const saving = predictedWindowSaving(total, span, guidance)
  const sliderPercent =
    values.cutoffMode === 'percent'
      ? values.cutoffPercent
      : cutoffStep === null || total === 0
        ? 100
        : Math.round(((cutoffStep + 1) / total) * 100)
  // Where the run is now, read when a control moves, not rendered on every step.
  const minPercent = (): number =>
    running ? minLivePercent(total, selectLastStepIndex(useJobStore.getState())) : 0

  const onSlide = (raw: number): void => {
    // A cutoff at a step that already ran would never fire: keep it ahead of the run. Where the
    // run is now is read when the slider moves, not rendered on every step.
    const percent = Math.max(raw, minPercent())
    set('cutoffPercent', percent)
    if (running) moveLiveCutoff(cutoffFromPercent(percent))
  }
  const onStepNumber = (text: string): void => {
    set('cutoffStepNumber', text)
    const n = parseNumberField(text)
    if (running && typeof n === 'number' && Number.isInteger(n) && n >= 1) {
      moveLiveCutoff({ stepIndex: n - 1 })
    }
  }

  const summary = guidanceSummary(total, start, cutoffStep)
  return (
    <fieldset className="cutoff-control" aria-describedby="cutoff-summary">
      <legend>Guidance (CFG) range and cutoff</legend>
      <GuidanceRange
        running={running}
        minPercent={minPercent}
        startLocked={running && started}
        endLocked={locked}
      />
      <div className="cutoff-modes" role="radiogroup" aria-label="Cutoff given as">
        <label className="check">
          <input
            type="radio"
            name="cutoff-mode"
            checked={values.cutoffMode === 'percent'}
            disabled={locked}
            onChange={() => set('cutoffMode', 'percent')}
          />
          % of steps
        </label>
        <label className="check">
          <input
            type="radio"
            name="cutoff-mode"
            data-testid="cutoff-mode-step"
            checked={values.cutoffMode === 'step'}
            disabled={locked}
            onChange={() => {
              set('cutoffMode', 'step')
              if (values.cutoffStepNumber === '' && cutoffStep !== null) {
                set('cutoffStepNumber', String(cutoffStep + 1))
              }
            }}
          />
          Exact step
        </label>
      </div>
      <div className="cutoff-inputs">
        <input
          type="range"
          id="cfg-cutoff"
          data-testid="cfg-cutoff-slider"
          min={0}
          max={100}
          step={1}
          value={sliderPercent}
          disabled={locked || values.cutoffMode === 'step'}
          aria-label="CFG cutoff, percent of steps with guidance"
          aria-valuetext={`${sliderPercent} %: ${summary}`}
          onChange={(e) => onSlide(Number(e.target.value))}
        />
        {values.cutoffMode === 'percent' ? (
          <output htmlFor="cfg-cutoff" className="cutoff-value">
            {sliderPercent} %
          </output>
        ) : (
          <input
            type="text"
            inputMode="numeric"
            className="cutoff-step-input"
            data-testid="cutoff-step-input"
            aria-label="Last step with guidance (1-based step number)"
            value={values.cutoffStepNumber}
            disabled={locked}
            placeholder="step"
            onChange={(e) => onStepNumber(e.target.value)}
          />
        )}
      </div>
      <LiveCutoffStrip total={total} start={start} cutoffStep={cutoffStep} running={running} />
      <p id="cutoff-summary" className="cutoff-summary" data-testid="cutoff-summary">
        {summary}
        {cutoffStep !== null && start === 0 && <> (diffusers cutoff_step_index {cutoffStep})</>}
        {' · '}
        <span data-testid="cutoff-predicted">
          {guidance <= 1
            ? 'guidance ≤ 1 is off anyway: nothing to save'
            : saving === 0
              ? 'no UNet work saved'
              : `saves ≈${formatPercent(saving)} of UNet work (predicted)`}
        </span>
      </p>
      <GuidanceLiveInput key={liveJobId} />
      {locked && (
        <p className="cutoff-locked" data-testid="cutoff-locked">
          Locked: guidance has ended for this run and cannot come back.
        </p>
      )}
      {running && liveCutoff?.refused !== undefined && (
        <p className="field-error">{liveCutoff.refused}</p>
      )}
      {error !== undefined && <p className="field-error">{error}</p>}
      {measured !== null && (
        <p className="cutoff-measured" data-testid="cutoff-measured">
          Last run:{' '}
          {measuredSummary(
            measured,
            rowsSaved,
            predictedWindowSaving(
              measured.numTimesteps,
              guidanceWindow(
                measured.numTimesteps,
                measured.cfgCutoff,
                measured.cfgInterval ?? null
              ),
              measured.guidanceScale
            )
          )}
        </p>
      )}
    </fieldset>
  )
}
