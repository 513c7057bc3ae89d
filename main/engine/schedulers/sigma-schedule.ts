import type { SchedulerConfig } from './config'
import { arange, f32, linspace, roundHalfEven } from './numpy-compat'

/**
 * Float timesteps for `n` steps with diffusers' `timestep_spacing` rules as the float32-timestep
 * schedulers (Euler, Euler ancestral, LMS) compute them: "linspace" keeps the fractional values,
 * "leading" and "trailing" round (half to even). Values are float32.
 */
export function spacedFloatTimesteps(config: SchedulerConfig, n: number): number[] {
  const T = config.num_train_timesteps
  switch (config.timestep_spacing) {
    case 'linspace':
      return linspace(0, T - 1, n)
        .map(f32)
        .reverse()
    case 'leading': {
      const ratio = Math.floor(T / n)
      return Array.from({ length: n }, (_, i) =>
        f32(f32(i * ratio) + config.steps_offset)
      ).reverse()
    }
    case 'trailing':
      return arange(T, 0, -T / n).map((v) => f32(f32(roundHalfEven(v)) - 1))
  }
}
