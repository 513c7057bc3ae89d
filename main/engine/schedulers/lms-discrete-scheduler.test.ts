import { LMSDiscreteScheduler } from './lms-discrete-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('LMSDiscreteScheduler', (config) => new LMSDiscreteScheduler(config), {
  timestepTolerance: 1e-3
})
