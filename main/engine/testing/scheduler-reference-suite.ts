import { describe, expect, it } from 'vitest'
import type { SchedulerConfigInput } from '../schedulers/config'
import {
  loadSchedulerReference,
  replayRun,
  reviveConfigValue
} from './scheduler-reference-trajectories'
import type { ReferenceRun } from './scheduler-reference-trajectories'
import type { Scheduler } from '../schedulers/scheduler'

/**
 * Test support: the diffusers cross-check every scheduler's test file runs — for each recorded
 * config variant, the merged config, alphas_cumprod, and for 1, 4 and 25 steps the timesteps,
 * sigmas, init_noise_sigma and the whole sampling loop, step by step.
 */

/** diffusers' tolerance target: |ours − diffusers| ≤ 5e-5 · max |diffusers| at every step. */
export const REFERENCE_TOLERANCE = 5e-5

/**
 * Relative tolerance of recorded sigmas. PyTorch 2's float32 `sqrt` (MKL) is not correctly
 * rounded: a fifth of `alphas_cumprod.sqrt()` differs by one ulp from IEEE sqrt, which
 * `rescale_betas_zero_snr`'s subtraction near t = T amplifies to ~2e-6 in a few sigmas.
 */
const SIGMA_TOLERANCE = 4e-6

function close(actual: number, expected: number, relative: number): boolean {
  return Math.abs(actual - expected) <= relative * Math.max(Math.abs(expected), 1e-12)
}

function expectListClose(
  actual: readonly number[],
  expected: readonly number[],
  abs: number
): void {
  expect(actual.length).toBe(expected.length)
  const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - (expected[i] as number))), 0)
  expect(worst).toBeLessThanOrEqual(abs)
}

/** Options of {@link describeDiffusersReference}. */
export interface ReferenceSuiteOptions {
  /**
   * Largest allowed difference of float32 timesteps, for schedulers that derive fractional
   * timesteps from sigmas: NumPy's float32 `log` may differ from a correctly rounded one in the
   * last bit, which moves such a timestep by ~1e-5. Without it timesteps must be equal.
   */
  timestepTolerance?: number
}

/** Declares the diffusers cross-check tests of one scheduler class. */
export function describeDiffusersReference(
  className: string,
  create: (config: SchedulerConfigInput) => Scheduler,
  options: ReferenceSuiteOptions = {}
): void {
  const reference = loadSchedulerReference(className)
  describe(`${className} against diffusers ${reference.diffusersVersion}`, () => {
    for (const variant of reference.variants) {
      describe(variant.name, () => {
        it('fills the config like diffusers', () => {
          const config = create(variant.input).config
          for (const [key, value] of Object.entries(variant.config)) {
            if (key === 'trained_betas') continue
            if (key === '_use_default_values') {
              const got = (config._use_default_values as string[] | undefined) ?? []
              expect([...got].sort()).toEqual([...(value as string[])].sort())
              continue
            }
            expect({ key, value: config[key] }).toEqual({ key, value: reviveConfigValue(value) })
          }
        })

        it('computes alphas_cumprod like diffusers', () => {
          const scheduler = create(variant.input)
          for (const [index, value] of Object.entries(variant.alphasCumprod)) {
            const got = scheduler.alphasCumprod[Number(index)] as number
            expect(close(got, value, 1e-6), `alphas_cumprod[${index}] ${got} vs ${value}`).toBe(
              true
            )
          }
        })

        for (const run of variant.runs) {
          describeRun(run)
        }

        function describeRun(run: ReferenceRun): void {
          if (run.error !== undefined) {
            it(`${run.steps} steps: refuses, as diffusers does (${run.error.slice(0, 60)})`, () => {
              expect(() => create(variant.input).setTimesteps(run.steps)).toThrow(Error)
            })
            return
          }
          it(`${run.steps} steps: timesteps, sigmas, init_noise_sigma and order`, () => {
            const scheduler = create(variant.input)
            scheduler.setTimesteps(run.steps)
            const recorded = run.timesteps ?? []
            const timesteps =
              run.timestepsDtype === 'float64' ? recorded : recorded.map((t) => Math.fround(t))
            if (options.timestepTolerance === undefined) {
              expect(scheduler.timesteps).toEqual(timesteps)
            } else {
              expectListClose(scheduler.timesteps, timesteps, options.timestepTolerance)
            }
            if (run.sigmas !== undefined) {
              const sigmas = (scheduler as unknown as { sigmas?: number[] }).sigmas ?? []
              expect(sigmas.length).toBe(run.sigmas.length)
              run.sigmas.forEach((s, i) => {
                expect(
                  close(sigmas[i] as number, s, SIGMA_TOLERANCE),
                  `sigma ${i}: ${sigmas[i]} vs ${s}`
                ).toBe(true)
              })
            }
            expect(close(scheduler.initNoiseSigma, run.initNoiseSigma ?? NaN, 1e-6)).toBe(true)
            expect(scheduler.order).toBe(run.order)
          })

          it(`${run.steps} steps: every step within ${REFERENCE_TOLERANCE} of max |x|`, () => {
            const scheduler = create(variant.input)
            scheduler.setTimesteps(run.steps)
            const errors = replayRun(scheduler, run, reference, variant, REFERENCE_TOLERANCE)
            expect(errors.summaryFailures).toEqual([])
            expect(errors.prev).toBeLessThanOrEqual(REFERENCE_TOLERANCE)
            expect(errors.input).toBeLessThanOrEqual(REFERENCE_TOLERANCE)
            expect(errors.x0).toBeLessThanOrEqual(REFERENCE_TOLERANCE)
            expect(errors.noised).toBeLessThanOrEqual(REFERENCE_TOLERANCE)
            expect(errors.final).toBeLessThanOrEqual(REFERENCE_TOLERANCE)
          })
        }
      })
    }
  })
}
