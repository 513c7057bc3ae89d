import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler'
import { describeDiffusersReference } from './reference-suite'

describeDiffusersReference(
  'EulerAncestralDiscreteScheduler',
  (config) => new EulerAncestralDiscreteScheduler(config)
)
