import { describe, expect, it } from 'vitest'
import { SD_DIR } from '../../testing/fixture-models'
import { createScheduler } from '../engine'
import { checkStepIndices, planRun, planSchedule, RunPlanError } from './run-plan'

const settings = {
  useKarrasSigmas: false,
  numInferenceSteps: 10,
  cfgCutoff: null,
  cfgInterval: null,
  stopAtStep: null
}

describe('planSchedule', () => {
  it('counts the timesteps the loop runs: N + 1 for PNDM with skip_prk_steps, more without', () => {
    const skip = createScheduler('PNDMScheduler', { skip_prk_steps: true })
    expect(planSchedule(skip, settings).numTimesteps).toBe(11)
    const rungeKutta = createScheduler('PNDMScheduler', { skip_prk_steps: false })
    expect(planSchedule(rungeKutta, settings).numTimesteps).toBe(19)
    const euler = createScheduler('EulerDiscreteScheduler')
    expect(planSchedule(euler, settings).numTimesteps).toBe(10)
  })

  it("keeps the model's own scheduler unless the run changes it", () => {
    const base = createScheduler('PNDMScheduler', { skip_prk_steps: true })
    expect(planSchedule(base, settings).scheduler).toBe(base)
    const ddim = planSchedule(base, { ...settings, scheduler: 'DDIMScheduler' })
    expect(ddim.schedulerName).toBe('DDIMScheduler')
    expect(ddim.scheduler.config.steps_offset).toBe(base.config.steps_offset)
  })

  it('turns on Karras sigmas where the class has them, and says so where it has none', () => {
    const base = createScheduler('EulerDiscreteScheduler')
    expect(planSchedule(base, { ...settings, useKarrasSigmas: true })).toMatchObject({
      useKarrasSigmas: true,
      warnings: []
    })
    expect(
      planSchedule(base, { ...settings, scheduler: 'DDIMScheduler', useKarrasSigmas: true })
    ).toMatchObject({
      useKarrasSigmas: false,
      warnings: ['DDIMScheduler has no Karras sigmas option; running it without']
    })
  })

  it('places the cutoff on T with the shared formula', () => {
    const base = createScheduler('PNDMScheduler', { skip_prk_steps: true })
    expect(planSchedule(base, { ...settings, cfgCutoff: { ratio: 0.5 } }).cutoffStep).toBe(5)
    expect(planSchedule(base, { ...settings, cfgCutoff: { stepIndex: 10 } }).cutoffStep).toBe(10)
    expect(planSchedule(base, { ...settings, cfgCutoff: { ratio: 1 } }).cutoffStep).toBeNull()
  })

  it('refuses a step count the scheduler cannot run, naming the setting', () => {
    const base = createScheduler('EulerDiscreteScheduler')
    expect(() => planSchedule(base, { ...settings, numInferenceSteps: 5000 })).toThrow(RunPlanError)
    expect(() => planSchedule(base, { ...settings, numInferenceSteps: 5000 })).toThrow(/^Steps: /)
  })
})

describe('checkStepIndices', () => {
  it('bounds step indices by T, saying why T differs from the step count', () => {
    expect(() =>
      checkStepIndices({ ...settings, stopAtStep: 10 }, 11, 'PNDMScheduler')
    ).not.toThrow()
    expect(() => checkStepIndices({ ...settings, stopAtStep: 11 }, 11, 'PNDMScheduler')).toThrow(
      'Stop at step: must be below the number of timesteps (PNDMScheduler runs 11 for 10 steps), got 11'
    )
    expect(() =>
      checkStepIndices({ ...settings, cfgCutoff: { stepIndex: 10 } }, 10, 'EulerDiscreteScheduler')
    ).toThrow('CFG cutoff step index: must be below the number of steps (10), got 10')
  })
})

describe('planRun', () => {
  it('plans on the model folder as the pipeline will load it, memory included', async () => {
    const plan = await planRun(SD_DIR, {
      ...settings,
      width: 64,
      height: 64,
      guidanceScale: 7,
      numImagesPerPrompt: 1,
      cfgCutoff: { ratio: 0.4 }
    })
    expect(plan).toMatchObject({ schedulerName: 'PNDMScheduler', numTimesteps: 11, cutoffStep: 4 })
    expect(plan.estimatedBytes).toBeGreaterThan(0)
    await expect(
      planRun(
        SD_DIR,
        { ...settings, width: 64, height: 64, guidanceScale: 7, numImagesPerPrompt: 1 },
        { memoryLimitBytes: 1 }
      )
    ).rejects.toThrow(/^64×64 is too large for memory/)
  })

  it('refuses a size the model’s UNet cannot halve, before anything is loaded (issue 13)', async () => {
    const run = { ...settings, guidanceScale: 7, numImagesPerPrompt: 1 }
    const error = await planRun(SD_DIR, { ...run, width: 72, height: 64 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunPlanError)
    expect((error as Error).message).toBe(
      'width must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 72; try 64 or 80)'
    )
    await expect(planRun(SD_DIR, { ...run, width: 80, height: 504 })).rejects.toThrow(
      /^height must be a multiple of 16 .*\(got 504; try 496 or 512\)$/
    )
    await expect(planRun(SD_DIR, { ...run, width: 80, height: 48 })).resolves.toBeDefined()
  })
})

describe('planning an image run', () => {
  it("takes the timesteps from where the strength enters (diffusers' get_timesteps)", () => {
    const ddim = createScheduler('DDIMScheduler')
    expect(planSchedule(ddim, { ...settings, strength: 0.6 })).toMatchObject({
      numTimesteps: 6,
      startStep: 4,
      scheduleTimesteps: 10
    })
    const heun = createScheduler('HeunDiscreteScheduler')
    // Heun lists every timestep after the first twice: 19 in all, entered at 2 · t_start.
    expect(planSchedule(heun, { ...settings, strength: 0.5 })).toMatchObject({
      numTimesteps: 9,
      startStep: 10,
      scheduleTimesteps: 19
    })
    expect(() => planSchedule(ddim, { ...settings, strength: 0.05 })).toThrow(
      /strength: 0.05 with 10 steps runs no denoising step/
    )
  })

  it('refuses a picture on a model without a VAE encoder, before anything loads', async () => {
    const { mkdtempSync, readdirSync, symlinkSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-no-encoder-plan-'))
    for (const name of readdirSync(SD_DIR)) {
      if (name !== 'vae_encoder') symlinkSync(join(SD_DIR, name), join(dir, name))
    }
    const run = { ...settings, width: 64, height: 64, guidanceScale: 7.5, numImagesPerPrompt: 1 }
    await expect(planRun(dir, { ...run, strength: 0.5 })).rejects.toThrow(
      /initImage: this model has no VAE encoder/
    )
    await expect(planRun(dir, run)).resolves.toMatchObject({ numTimesteps: 11 })
  })
})
