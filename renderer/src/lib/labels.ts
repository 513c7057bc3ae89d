import type { SchedulerClassName } from '../contract'

/** The names A1111 and ComfyUI users know the diffusers schedulers by. */
export const SCHEDULER_LABELS: Record<SchedulerClassName, string> = {
  DPMSolverMultistepScheduler: 'DPM++ 2M',
  EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a',
  DDIMScheduler: 'DDIM',
  PNDMScheduler: 'PNDM (PLMS)',
  LMSDiscreteScheduler: 'LMS',
  LCMScheduler: 'LCM'
}
