import type { AlgorithmType, SchedulerClassName } from '../contract'

/** The names A1111 and ComfyUI users know the diffusers schedulers by. */
export const SCHEDULER_LABELS: Record<SchedulerClassName, string> = {
  DPMSolverMultistepScheduler: 'DPM++ 2M',
  EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a',
  DDIMScheduler: 'DDIM',
  PNDMScheduler: 'PNDM (PLMS)',
  LMSDiscreteScheduler: 'LMS',
  LCMScheduler: 'LCM',
  UniPCMultistepScheduler: 'UniPC',
  HeunDiscreteScheduler: 'Heun',
  KDPM2DiscreteScheduler: 'DPM2',
  KDPM2AncestralDiscreteScheduler: 'DPM2 a',
  DPMSolverSinglestepScheduler: 'DPM++ SDE (singlestep)',
  DEISMultistepScheduler: 'DEIS',
  TCDScheduler: 'TCD'
}

/** A run's sampler as A1111 would name it: "DPM++ 2M SDE Karras", "Euler a", … */
export function samplerLabel(result: {
  scheduler: SchedulerClassName
  useKarrasSigmas: boolean
  algorithmType?: AlgorithmType
}): string {
  const sde =
    result.scheduler === 'DPMSolverMultistepScheduler' && result.algorithmType === 'sde-dpmsolver++'
  return `${sde ? 'DPM++ 2M SDE' : SCHEDULER_LABELS[result.scheduler]}${result.useKarrasSigmas ? ' Karras' : ''}`
}
