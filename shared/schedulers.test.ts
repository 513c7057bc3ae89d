import { describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from './params'
import {
  A1111_SAMPLERS,
  SCHEDULER_ALIASES,
  SCHEDULER_CLASS_NAMES,
  resolveSampler,
  resolveSchedulerName
} from './schedulers'

describe('resolveSampler', () => {
  it('knows every class by name, in any case', () => {
    for (const name of SCHEDULER_CLASS_NAMES) {
      expect(resolveSampler(name.toUpperCase())).toEqual({ scheduler: name })
    }
  })

  it('maps the A1111 names diffusers documents, with what they imply', () => {
    expect(resolveSampler('DPM++ 2M SDE Karras')).toEqual({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
    expect(resolveSampler('dpm++ 2m  karras')).toEqual({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'dpmsolver++'
    })
    expect(resolveSampler('DPM++ SDE')?.scheduler).toBe('DPMSolverSinglestepScheduler')
    expect(resolveSampler('DPM2 a Karras')).toEqual({
      scheduler: 'KDPM2AncestralDiscreteScheduler',
      useKarrasSigmas: true
    })
    const expected: Record<string, string> = {
      UniPC: 'UniPCMultistepScheduler',
      Heun: 'HeunDiscreteScheduler',
      DPM2: 'KDPM2DiscreteScheduler',
      'DPM2 a': 'KDPM2AncestralDiscreteScheduler',
      Euler: 'EulerDiscreteScheduler',
      'Euler a': 'EulerAncestralDiscreteScheduler',
      LMS: 'LMSDiscreteScheduler',
      DDIM: 'DDIMScheduler',
      PLMS: 'PNDMScheduler',
      DEIS: 'DEISMultistepScheduler',
      LCM: 'LCMScheduler',
      TCD: 'TCDScheduler'
    }
    for (const [name, cls] of Object.entries(expected)) expect(resolveSchedulerName(name)).toBe(cls)
  })

  it('every alias and A1111 name resolves to an implemented class; unknown names to null', () => {
    for (const name of [...Object.keys(SCHEDULER_ALIASES), ...Object.keys(A1111_SAMPLERS)]) {
      expect(SCHEDULER_CLASS_NAMES, name).toContain(resolveSchedulerName(name))
    }
    expect(resolveSampler('DPM adaptive')).toBeNull()
  })
})

describe('GenerateParamsSchema with sampler names', () => {
  it('applies what an A1111 name implies', () => {
    const p = GenerateParamsSchema.parse({ prompt: 'x', scheduler: 'DPM++ 2M SDE Karras' })
    expect(p).toMatchObject({
      scheduler: 'DPMSolverMultistepScheduler',
      useKarrasSigmas: true,
      algorithmType: 'sde-dpmsolver++'
    })
    const plain = GenerateParamsSchema.parse({
      prompt: 'x',
      scheduler: 'heun',
      useKarrasSigmas: true
    })
    expect(plain).toMatchObject({ scheduler: 'HeunDiscreteScheduler', useKarrasSigmas: true })
    expect(plain.algorithmType).toBeUndefined()
  })

  it('refuses an algorithm type that contradicts the name, and unknown ones', () => {
    const bad = GenerateParamsSchema.safeParse({
      prompt: 'x',
      scheduler: 'DPM++ 2M SDE',
      algorithmType: 'dpmsolver++'
    })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path).toEqual(['algorithmType'])
    expect(bad.error?.issues[0]?.message).toBe(
      '"dpmsolver++" contradicts the scheduler name, which means "sde-dpmsolver++"'
    )
    const unknown = GenerateParamsSchema.safeParse({ prompt: 'x', algorithmType: 'fast' })
    expect(unknown.error?.issues[0]?.message).toMatch(
      /^unknown algorithm type "fast" \(allowed: dpmsolver\+\+, sde-dpmsolver\+\+, dpmsolver, sde-dpmsolver\)$/
    )
  })

  it('lists class names, aliases and A1111 names when the scheduler is unknown', () => {
    const r = GenerateParamsSchema.safeParse({ prompt: 'x', scheduler: 'magic' })
    const message = r.error?.issues[0]?.message ?? ''
    expect(message).toMatch(/^unknown scheduler "magic" \(allowed: DPMSolverMultistepScheduler, /)
    expect(message).toContain('TCDScheduler')
    expect(message).toContain('or an AUTOMATIC1111 sampler name: DPM++ 2M, ')
  })
})
