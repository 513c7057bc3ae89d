import { UniPCMultistepScheduler } from './unipc-multistep-scheduler'
import { describeDiffusersReference } from './reference-suite'

describeDiffusersReference(
  'UniPCMultistepScheduler',
  (config) => new UniPCMultistepScheduler(config)
)
