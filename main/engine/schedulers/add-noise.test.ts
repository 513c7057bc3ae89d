import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Tensor } from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import type { SchedulerClassName } from '../../../shared/params'
import { Generator } from '../random/generator'
import { createScheduler } from '.'
import type { SchedulerConfigInput } from './config'

/**
 * Every scheduler's `addNoise` against diffusers' own `add_noise`
 * (tools/reference/make_add_noise_reference.py): the timestep lookup without a begin index (per
 * row, Heun/KDPM2's repeated timesteps included), the begin index before the first step, and the
 * step index after three steps.
 */
interface AddNoiseCase {
  kind: 'lookup' | 'begin' | 'after-steps'
  /** lookup: the positions in the schedule the timesteps were taken from. */
  indices?: number[]
  timesteps: number[]
  beginIndex?: number
  steps?: number
  stepIndex?: number
  latents?: number[]
  result: number[]
}

interface Reference {
  diffusersVersion: string
  shape: number[]
  steps: number
  original: number[]
  noise: number[]
  classes: {
    className: SchedulerClassName
    variants: { name: string; config: SchedulerConfigInput; cases: AddNoiseCase[] }[]
  }[]
}

const reference = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'add-noise-reference.json'), 'utf8')
) as Reference

const tensor = (values: readonly number[]): Tensor =>
  new Tensor('float32', Float32Array.from(values), reference.shape)

const pattern = Float32Array.from({ length: 32 }, (_, k) => ((k * 37) % 101) / 50 - 1)

/** The reference script's deterministic model: 0.5 · input + P / (i + 1), in float32. */
function model(input: Tensor, i: number): Tensor {
  const x = input.data as Float32Array
  const w = Math.fround(1 / (i + 1))
  const out = x.map((v, k) =>
    Math.fround(Math.fround(0.5 * v) + Math.fround(w * (pattern[k] as number)))
  )
  return new Tensor('float32', out, input.dims)
}

function worstRelative(actual: Tensor, expected: readonly number[]): number {
  const a = actual.data as Float32Array
  const scale = Math.max(1, ...expected.map(Math.abs))
  return expected.reduce((m, e, i) => Math.max(m, Math.abs((a[i] as number) - e)), 0) / scale
}

for (const { className, variants } of reference.classes) {
  describe(`${className}.addNoise matches diffusers ${reference.diffusersVersion}`, () => {
    for (const variant of variants) {
      for (const c of variant.cases) {
        it(`${variant.name}: ${c.kind}`, () => {
          const scheduler = createScheduler(className, variant.config)
          scheduler.setTimesteps(reference.steps)
          if (c.beginIndex !== undefined) scheduler.setBeginIndex(c.beginIndex)
          if (c.kind === 'after-steps') {
            const generator = new Generator().manualSeed(0)
            let latents = tensor(reference.original)
            const start = c.beginIndex as number
            for (let i = 0; i < (c.steps as number); i++) {
              const t = scheduler.timesteps[start + i] as number
              const input = scheduler.scaleModelInput(latents, t)
              latents = scheduler.step(model(input, i), t, latents, { generator }).prevSample
            }
            expect(scheduler.stepIndex).toBe(c.stepIndex)
            expect(worstRelative(latents, c.latents as number[])).toBeLessThan(1e-5)
          }
          // The schedule's own values, as pipelines pass them: a fractional timestep may differ
          // from diffusers' in its last bit (NumPy's float32 log), which the lookup must not see.
          const timesteps =
            c.indices === undefined
              ? c.timesteps
              : c.indices.map((i) => scheduler.timesteps[i] as number)
          timesteps.forEach((t, i) =>
            expect(Math.abs(t - (c.timesteps[i] as number))).toBeLessThan(1e-3)
          )
          const out = scheduler.addNoise(
            tensor(reference.original),
            tensor(reference.noise),
            timesteps
          )
          expect(out.dims).toEqual(reference.shape)
          expect(worstRelative(out, c.result)).toBeLessThan(1e-6)
        })
      }
    }
  })
}

describe('addNoise input checks', () => {
  it('refuses a timestep list that fits neither one row nor every row', () => {
    const scheduler = createScheduler('EulerDiscreteScheduler', {})
    scheduler.setTimesteps(4)
    const x = tensor(reference.original)
    expect(() => scheduler.addNoise(x, x, [1, 2, 3])).toThrow(/3 timesteps for a batch of 2/)
  })

  it('refuses a fractional timestep for the alpha-based schedulers', () => {
    const scheduler = createScheduler('DDIMScheduler', {})
    const x = tensor(reference.original)
    expect(() => scheduler.addNoise(x, x, 10.5)).toThrow(/not an integer training timestep/)
  })
})
