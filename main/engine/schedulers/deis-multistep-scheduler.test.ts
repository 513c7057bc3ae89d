import { DEISMultistepScheduler } from './deis-multistep-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('DEISMultistepScheduler', (config) => new DEISMultistepScheduler(config))
