import { DPMSolverSinglestepScheduler } from './dpm-solver-singlestep-scheduler'
import { describeDiffusersReference } from './reference-suite'

describeDiffusersReference(
  'DPMSolverSinglestepScheduler',
  (config) => new DPMSolverSinglestepScheduler(config)
)
