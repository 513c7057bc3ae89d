import { HeunDiscreteScheduler } from './heun-discrete-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

// Fractional timesteps from sigmas (Karras / exponential, and KDPM2's midpoints, which diffusers
// derives in float32) may differ from NumPy's by an ulp of its float32 log.
describeDiffusersReference('HeunDiscreteScheduler', (config) => new HeunDiscreteScheduler(config), {
  timestepTolerance: 1e-3
})
