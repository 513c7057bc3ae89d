import { UniPCMultistepScheduler } from './unipc-multistep-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference(
  'UniPCMultistepScheduler',
  (config) => new UniPCMultistepScheduler(config)
)
