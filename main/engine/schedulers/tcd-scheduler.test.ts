import { TCDScheduler } from './tcd-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference('TCDScheduler', (config) => new TCDScheduler(config))
