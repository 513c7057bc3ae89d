import type { StepMetrics } from '../../shared/steps'

/** What one finished step cost in the UNet (its batch: 2B with guidance, B after the cutoff). */
export type UnetStepCost = Pick<StepMetrics, 'unetMs' | 'unetBatch' | 'cfg'>

/**
 * The fraction of UNet time a CFG cutoff saved, measured: 1 − spent / fullCfg, where `spent` is
 * the UNet ms the run actually took and `fullCfg` what it would have taken had every step run
 * with guidance. A guided step costs what it cost; an unguided step would have cost what the
 * run's guided steps cost on average (same shapes, same session), or, when the run has no
 * guided step to compare with, its own time scaled by the batch ratio (2B / B), which
 * overstates nothing for a UNet whose time grows at most linearly with the batch.
 *
 * Runs without guidance at all (guidance scale ≤ 1 turns CFG off in diffusers) save nothing:
 * 0. Returns a value in [0, 1).
 */
export function unetSavedFraction(steps: readonly UnetStepCost[], guidanceScale: number): number {
  if (steps.length === 0 || guidanceScale <= 1) return 0
  const guided = steps.filter((s) => s.cfg)
  const guidedBatch = guided[0]?.unetBatch
  const meanGuidedMs =
    guided.length > 0 ? guided.reduce((sum, s) => sum + s.unetMs, 0) / guided.length : null
  let spent = 0
  let full = 0
  for (const step of steps) {
    spent += step.unetMs
    if (step.cfg) {
      full += step.unetMs
    } else {
      const scale = (guidedBatch ?? step.unetBatch * 2) / Math.max(1, step.unetBatch)
      full += meanGuidedMs ?? step.unetMs * scale
    }
  }
  if (full <= 0) return 0
  return Math.min(Math.max(0, 1 - spent / full), 1)
}
