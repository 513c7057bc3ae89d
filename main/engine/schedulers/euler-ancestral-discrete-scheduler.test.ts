import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference(
  'EulerAncestralDiscreteScheduler',
  (config) => new EulerAncestralDiscreteScheduler(config)
)
