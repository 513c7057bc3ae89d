import { DPMSolverSinglestepScheduler } from './dpm-solver-singlestep-scheduler'
import { describeDiffusersReference } from '../testing/scheduler-reference-suite'

describeDiffusersReference(
  'DPMSolverSinglestepScheduler',
  (config) => new DPMSolverSinglestepScheduler(config)
)
