import { describe, expect, it } from 'vitest'
import { resolveConfig } from './config'

describe('resolveConfig (diffusers from_config semantics)', () => {
  it('fills every __init__ key with diffusers defaults and lists them in _use_default_values', () => {
    const config = resolveConfig('EulerDiscreteScheduler', { beta_schedule: 'scaled_linear' })
    expect(config.num_train_timesteps).toBe(1000)
    expect(config.timestep_spacing).toBe('linspace')
    expect(config.final_sigmas_type).toBe('zero')
    expect(config.sigma_min).toBeNull()
    expect(config._use_default_values).toContain('timestep_spacing')
    expect(config._use_default_values).not.toContain('beta_schedule')
  })

  it('keeps keys of other schedulers, renames _class_name, and is frozen', () => {
    const config = resolveConfig('DPMSolverMultistepScheduler', {
      _class_name: 'PNDMScheduler',
      _diffusers_version: '0.6.0',
      skip_prk_steps: true,
      beta_schedule: 'scaled_linear'
    })
    expect(config._class_name).toBe('DPMSolverMultistepScheduler')
    expect(config._diffusers_version).toBe('0.6.0')
    expect(config.skip_prk_steps).toBe(true)
    expect(Object.isFrozen(config)).toBe(true)
  })

  it("drops the input's _use_default_values keys so this class's defaults apply", () => {
    const euler = resolveConfig('EulerDiscreteScheduler', {})
    expect(euler.timestep_spacing).toBe('linspace')
    const ddim = resolveConfig('DDIMScheduler', euler)
    // Euler's default "linspace" was a default, so DDIM takes its own default, "leading".
    expect(ddim.timestep_spacing).toBe('leading')
    const explicit = resolveConfig('DDIMScheduler', { ...euler, _use_default_values: [] })
    expect(explicit.timestep_spacing).toBe('linspace')
  })

  it('takes overrides in snake_case or camelCase and applies them last', () => {
    const a = resolveConfig(
      'DPMSolverMultistepScheduler',
      { use_karras_sigmas: false },
      {
        use_karras_sigmas: true
      }
    )
    expect(a.use_karras_sigmas).toBe(true)
    const b = resolveConfig(
      'DPMSolverMultistepScheduler',
      {},
      { useKarrasSigmas: true, solverOrder: 3 }
    )
    expect(b.use_karras_sigmas).toBe(true)
    expect(b.solver_order).toBe(3)
  })

  it('refuses an override key that no scheduler knows, listing the valid keys', () => {
    expect(() => resolveConfig('DDIMScheduler', {}, { use_karras_sigma: true })).toThrow(
      /DDIMScheduler: unknown config key "use_karras_sigma" \(keys of DDIMScheduler: num_train_timesteps, /
    )
  })

  it('ignores, like diffusers, an override that belongs to another scheduler', () => {
    const config = resolveConfig('DDIMScheduler', {}, { use_karras_sigmas: true })
    expect(config.use_karras_sigmas).toBe(true)
    expect(config.timestep_spacing).toBe('leading')
  })

  it('maps the values diffusers rewrites (deis, bh2) and rejects the rest clearly', () => {
    const config = resolveConfig('DPMSolverMultistepScheduler', {
      algorithm_type: 'deis',
      solver_type: 'bh2'
    })
    expect(config.algorithm_type).toBe('dpmsolver++')
    expect(config.solver_type).toBe('midpoint')
    expect(() => resolveConfig('DPMSolverMultistepScheduler', { algorithm_type: 'foo' })).toThrow(
      'DPMSolverMultistepScheduler: algorithm_type "foo" is not supported (allowed: dpmsolver++, sde-dpmsolver++, dpmsolver, sde-dpmsolver, deis)'
    )
    expect(() =>
      resolveConfig('DPMSolverMultistepScheduler', { variance_type: 'learned_range' })
    ).toThrow(/variance_type "learned_range" is not supported: learned-variance models/)
    expect(() => resolveConfig('DPMSolverMultistepScheduler', { use_flow_sigmas: true })).toThrow(
      /use_flow_sigmas true is not supported: flow-matching sigmas are not implemented \(allowed: false\)/
    )
  })

  it('checks value types and ranges, naming key and value', () => {
    expect(() => resolveConfig('DDIMScheduler', { num_train_timesteps: 10.5 })).toThrow(
      'DDIMScheduler: num_train_timesteps must be an integer >= 2 (got 10.5)'
    )
    expect(() => resolveConfig('DDIMScheduler', { clip_sample: 'yes' })).toThrow(
      'DDIMScheduler: clip_sample must be true or false (got "yes")'
    )
    expect(() => resolveConfig('DDIMScheduler', { beta_start: '0.1' })).toThrow(
      /beta_start must be a number/
    )
    expect(() => resolveConfig('DDIMScheduler', { trained_betas: [0.1, 'x'] })).toThrow(
      /trained_betas must be an array of numbers or null/
    )
    expect(() =>
      resolveConfig('DDIMScheduler', { num_train_timesteps: 3, trained_betas: [0.1, 0.2] })
    ).toThrow(/trained_betas has 2 values but num_train_timesteps is 3/)
    expect(() => resolveConfig('DDIMScheduler', [] as never)).toThrow(/config must be an object/)
  })

  it('reads null flags as false, as Python reads None', () => {
    expect(
      resolveConfig('EulerDiscreteScheduler', { use_karras_sigmas: null }).use_karras_sigmas
    ).toBe(false)
  })
})
