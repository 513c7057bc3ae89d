import { KDPM2AncestralDiscreteScheduler } from './kdpm2-ancestral-discrete-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

// Fractional timesteps from sigmas (Karras / exponential, and KDPM2's midpoints, which diffusers
// derives in float32) may differ from NumPy's by an ulp of its float32 log.
describeDiffusersReference(
  'KDPM2AncestralDiscreteScheduler',
  (config) => new KDPM2AncestralDiscreteScheduler(config),
  {
    timestepTolerance: 1e-3
  }
)
