import { describe, expect, it } from 'vitest'
import { Tensor } from 'onnxruntime-node'
import { SCHEDULER_CLASS_NAMES } from '../../../shared/params'
import { Generator } from '../random/generator'
import { randn } from '../random/distributions'
import {
  createScheduler,
  DDIMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
  SCHEDULER_CLASSES,
  Scheduler
} from './index'

const SDXL = {
  _class_name: 'EulerDiscreteScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  steps_offset: 1,
  timestep_spacing: 'leading',
  skip_prk_steps: true
}

function run(scheduler: Scheduler, steps: number, seed: number): Float32Array {
  scheduler.setTimesteps(steps)
  const generator = new Generator().manualSeed(seed)
  let latents = randn([1, 4, 4, 4], { generator })
  for (const t of scheduler.timesteps) {
    const input = scheduler.scaleModelInput(latents, t)
    const noisePred = new Tensor(
      'float32',
      (input.data as Float32Array).map((v) => 0.3 * v),
      input.dims
    )
    latents = scheduler.step(noisePred, t, latents, { generator }).prevSample
  }
  return latents.data as Float32Array
}

describe('SCHEDULER_CLASSES / createScheduler', () => {
  it('has exactly the class names of shared/params', () => {
    expect(Object.keys(SCHEDULER_CLASSES).sort()).toEqual([...SCHEDULER_CLASS_NAMES].sort())
    for (const name of SCHEDULER_CLASS_NAMES) {
      const scheduler = createScheduler(name, SDXL)
      expect(scheduler).toBeInstanceOf(Scheduler)
      expect(scheduler.className).toBe(name)
      expect(scheduler.config._class_name).toBe(name)
    }
  })

  it('creates from another class config with overrides, like from_config(config, **kwargs)', () => {
    const euler = EulerDiscreteScheduler.fromConfig(SDXL)
    const dpm = DPMSolverMultistepScheduler.fromConfig(euler.config, { use_karras_sigmas: true })
    expect(dpm).toBeInstanceOf(DPMSolverMultistepScheduler)
    expect(dpm.config.use_karras_sigmas).toBe(true)
    expect(dpm.config.timestep_spacing).toBe('leading')
    expect(dpm.config.beta_schedule).toBe('scaled_linear')
    const viaFactory = createScheduler('DPMSolverMultistepScheduler', euler.config, {
      use_karras_sigmas: true
    })
    viaFactory.setTimesteps(25)
    dpm.setTimesteps(25)
    expect(viaFactory.timesteps).toEqual(dpm.timesteps)
  })

  it('refuses an unknown class name', () => {
    expect(() => createScheduler('DPMSolverSDEScheduler' as never, {})).toThrow(
      /unknown scheduler "DPMSolverSDEScheduler" \(allowed: DPMSolverMultistepScheduler, /
    )
  })

  it('every scheduler refuses bad step counts with the allowed range', () => {
    for (const name of SCHEDULER_CLASS_NAMES) {
      const scheduler = createScheduler(name, SDXL)
      for (const n of [0, -3, 1.5, 1001]) {
        expect(() => scheduler.setTimesteps(n), `${name} ${n}`).toThrow(
          new RegExp(`${name}.setTimesteps: numInferenceSteps must be an integer from 1 to `)
        )
      }
    }
  })

  it('the same seed gives the same trajectory twice, for the noise-drawing schedulers too', () => {
    for (const name of SCHEDULER_CLASS_NAMES) {
      const a = run(createScheduler(name, SDXL), 4, 7)
      const b = run(createScheduler(name, SDXL), 4, 7)
      expect(Array.from(a), name).toEqual(Array.from(b))
      expect(
        a.every((v) => Number.isFinite(v)),
        name
      ).toBe(true)
    }
    const c = run(new EulerAncestralDiscreteScheduler(SDXL), 4, 8)
    expect(Array.from(c)).not.toEqual(
      Array.from(run(new EulerAncestralDiscreteScheduler(SDXL), 4, 7))
    )
  })

  it('ignores config keys a class does not have, as diffusers does (PNDM / LMS and zero SNR)', () => {
    // A DDIM config with zero-terminal-SNR rescaling, given to classes without that key: the
    // key stays in the config (diffusers keeps it too) but must not change their schedule.
    const ddim = DDIMScheduler.fromConfig({ ...SDXL, rescale_betas_zero_snr: true })
    for (const name of ['PNDMScheduler', 'LMSDiscreteScheduler'] as const) {
      const withKey = createScheduler(name, ddim.config)
      const without = createScheduler(name, { ...SDXL })
      expect(withKey.config.rescale_betas_zero_snr, name).toBe(true)
      expect(Array.from(withKey.alphasCumprod), name).toEqual(Array.from(without.alphasCumprod))
      const latents = run(withKey, 4, 3)
      expect(
        latents.every((v) => Number.isFinite(v)),
        name
      ).toBe(true)
      expect(Array.from(latents), name).toEqual(Array.from(run(without, 4, 3)))
    }
  })

  it('refuses to step past the last timestep', () => {
    for (const scheduler of [new EulerDiscreteScheduler(SDXL), new LCMScheduler(SDXL)]) {
      scheduler.setTimesteps(2)
      const x = randn([1, 4, 2, 2], { generator: new Generator().manualSeed(1) })
      const last = scheduler.timesteps[1] as number
      scheduler.setBeginIndex(2)
      expect(() => scheduler.step(x, last, x, { generator: new Generator() })).toThrow(
        /all 2 steps have run; call setTimesteps\(n\) to sample again/
      )
    }
  })

  it('refuses tensors that are not float32 or differ in shape', () => {
    const s = new PNDMScheduler(SDXL)
    s.setTimesteps(4)
    const t = s.timesteps[0] as number
    const x = new Tensor('float32', new Float32Array(4), [1, 1, 2, 2])
    const y = new Tensor('float32', new Float32Array(4), [1, 4])
    const z = new Tensor('int32', new Int32Array(4), [1, 1, 2, 2])
    expect(() => s.step(x, t, y)).toThrow(
      /PNDMScheduler.step: shapes differ \(\[1, 1, 2, 2\] vs \[1, 4\]\)/
    )
    expect(() => s.step(z, t, x)).toThrow(/modelOutput must be a float32 tensor \(got int32\)/)
  })
})
