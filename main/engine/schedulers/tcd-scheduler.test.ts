import { TCDScheduler } from './tcd-scheduler'
import { describeDiffusersReference } from './reference-suite'

describeDiffusersReference('TCDScheduler', (config) => new TCDScheduler(config))
