import { DEISMultistepScheduler } from './deis-multistep-scheduler'
import { describeDiffusersReference } from './reference-suite'

describeDiffusersReference('DEISMultistepScheduler', (config) => new DEISMultistepScheduler(config))
