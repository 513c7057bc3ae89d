import type { SchedulerClassName } from '../../../shared/schedulers'
import { BETA_SCHEDULES } from './betas'

/**
 * What each scheduler accepts in its config: every key of the diffusers class's `__init__`, its
 * default there, and the values Stepwise implements. Keys and defaults follow diffusers exactly so
 * that `config` reads like `scheduler.config` in Python.
 */
export type KeySpec =
  | { kind: 'int'; default: number; min: number }
  | { kind: 'number'; default: number }
  | { kind: 'optionalNumber'; default: null }
  | { kind: 'bool'; default: boolean; supported?: readonly boolean[]; reason?: string }
  | {
      kind: 'enum'
      default: string | null
      allowed: readonly string[]
      /** Values diffusers accepts and rewrites (e.g. algorithm_type "deis" → "dpmsolver++"). */
      aliases?: Readonly<Record<string, string>>
      /** Values diffusers knows that Stepwise does not implement, with the reason. */
      unsupported?: Readonly<Record<string, string>>
    }
  | { kind: 'betas'; default: null }
  /** A list of non-negative integers (UniPC's `disable_corrector`). */
  | { kind: 'intList'; default: readonly number[] }
  /** A key Stepwise accepts only as null (UniPC's `solver_p`), with the reason. */
  | { kind: 'null'; default: null; reason: string }

/** The key specs of one scheduler class, in diffusers' `__init__` order. */
export type ConfigSpec = Readonly<Record<string, KeySpec>>

const TIMESTEP_SPACINGS = ['linspace', 'leading', 'trailing'] as const

// The specs keep their literal types (key names, allowed values), from which each class's typed
// overrides are derived (config-overrides.ts): one table for validation and for the types.

function betaKeys(start = 0.0001, end = 0.02, schedule = 'linear') {
  return {
    num_train_timesteps: { kind: 'int', default: 1000, min: 2 },
    beta_start: { kind: 'number', default: start },
    beta_end: { kind: 'number', default: end },
    beta_schedule: { kind: 'enum', default: schedule, allowed: BETA_SCHEDULES },
    trained_betas: { kind: 'betas', default: null }
  } as const satisfies Record<string, KeySpec>
}

function spacing(defaultValue: string) {
  return { kind: 'enum', default: defaultValue, allowed: TIMESTEP_SPACINGS } as const
}

function prediction<const A extends readonly string[]>(
  allowed: A,
  unsupported?: Record<string, string>
) {
  return unsupported === undefined
    ? ({ kind: 'enum', default: 'epsilon', allowed } as const)
    : ({ kind: 'enum', default: 'epsilon', allowed, unsupported } as const)
}

const NOT_BETA = {
  kind: 'bool',
  default: false,
  supported: [false],
  reason: 'beta sigmas (scipy.stats.beta) are not implemented'
} as const satisfies KeySpec

const NOT_FLOW = {
  kind: 'bool',
  default: false,
  supported: [false],
  reason: 'flow-matching sigmas are not implemented'
} as const satisfies KeySpec

const NOT_DYNAMIC_SHIFTING = {
  kind: 'bool',
  default: false,
  supported: [false],
  reason: 'dynamic shifting is for flow-matching models, not implemented'
} as const satisfies KeySpec

const FLOW_PREDICTION = {
  flow_prediction: 'flow-matching models need use_flow_sigmas, which is not implemented'
}

/** The sigma-schedule switches of the sigma-based classes. */
const sigmaScheduleKeys = {
  use_karras_sigmas: { kind: 'bool', default: false },
  use_exponential_sigmas: { kind: 'bool', default: false },
  use_beta_sigmas: NOT_BETA
} as const satisfies Record<string, KeySpec>

/** The flow-matching keys of the multistep solvers, accepted only with their defaults. */
const flowKeys = {
  use_flow_sigmas: NOT_FLOW,
  flow_shift: { kind: 'number', default: 1.0 }
} as const satisfies Record<string, KeySpec>

const LEARNED_VARIANCE = {
  kind: 'enum',
  default: null,
  allowed: [],
  unsupported: {
    learned: 'learned-variance models are not supported',
    learned_range: 'learned-variance models are not supported'
  }
} as const satisfies KeySpec

const thresholdingKeys = {
  thresholding: { kind: 'bool', default: false },
  dynamic_thresholding_ratio: { kind: 'number', default: 0.995 },
  sample_max_value: { kind: 'number', default: 1.0 }
} as const satisfies Record<string, KeySpec>

/** Config specs of the schedulers, keyed by diffusers class name. */
export const CONFIG_SPECS = {
  DDIMScheduler: {
    ...betaKeys(),
    clip_sample: { kind: 'bool', default: true },
    set_alpha_to_one: { kind: 'bool', default: true },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction']),
    thresholding: thresholdingKeys.thresholding,
    dynamic_thresholding_ratio: thresholdingKeys.dynamic_thresholding_ratio,
    clip_sample_range: { kind: 'number', default: 1.0 },
    sample_max_value: thresholdingKeys.sample_max_value,
    timestep_spacing: spacing('leading'),
    rescale_betas_zero_snr: { kind: 'bool', default: false }
  },
  EulerDiscreteScheduler: {
    ...betaKeys(),
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction', 'original_sample']),
    interpolation_type: { kind: 'enum', default: 'linear', allowed: ['linear', 'log_linear'] },
    use_karras_sigmas: { kind: 'bool', default: false },
    use_exponential_sigmas: { kind: 'bool', default: false },
    use_beta_sigmas: NOT_BETA,
    sigma_min: { kind: 'optionalNumber', default: null },
    sigma_max: { kind: 'optionalNumber', default: null },
    timestep_spacing: spacing('linspace'),
    timestep_type: { kind: 'enum', default: 'discrete', allowed: ['discrete', 'continuous'] },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false },
    final_sigmas_type: { kind: 'enum', default: 'zero', allowed: ['zero', 'sigma_min'] }
  },
  EulerAncestralDiscreteScheduler: {
    ...betaKeys(),
    prediction_type: prediction(['epsilon', 'v_prediction'], {
      sample: 'diffusers raises NotImplementedError for it'
    }),
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false }
  },
  DPMSolverMultistepScheduler: {
    ...betaKeys(),
    solver_order: { kind: 'int', default: 2, min: 1 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction'], FLOW_PREDICTION),
    ...thresholdingKeys,
    algorithm_type: {
      kind: 'enum',
      default: 'dpmsolver++',
      allowed: ['dpmsolver++', 'sde-dpmsolver++', 'dpmsolver', 'sde-dpmsolver'],
      aliases: { deis: 'dpmsolver++' }
    },
    solver_type: {
      kind: 'enum',
      default: 'midpoint',
      allowed: ['midpoint', 'heun'],
      aliases: { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' }
    },
    lower_order_final: { kind: 'bool', default: true },
    euler_at_final: { kind: 'bool', default: false },
    use_karras_sigmas: { kind: 'bool', default: false },
    use_exponential_sigmas: { kind: 'bool', default: false },
    use_beta_sigmas: NOT_BETA,
    use_lu_lambdas: { kind: 'bool', default: false },
    ...flowKeys,
    final_sigmas_type: { kind: 'enum', default: 'zero', allowed: ['zero', 'sigma_min'] },
    lambda_min_clipped: { kind: 'number', default: -Infinity },
    variance_type: LEARNED_VARIANCE,
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false },
    use_dynamic_shifting: NOT_DYNAMIC_SHIFTING,
    time_shift_type: { kind: 'enum', default: 'exponential', allowed: ['exponential'] }
  },
  PNDMScheduler: {
    ...betaKeys(),
    skip_prk_steps: { kind: 'bool', default: false },
    set_alpha_to_one: { kind: 'bool', default: false },
    prediction_type: prediction(['epsilon', 'v_prediction']),
    timestep_spacing: spacing('leading'),
    steps_offset: { kind: 'int', default: 0, min: 0 }
  },
  LMSDiscreteScheduler: {
    ...betaKeys(),
    use_karras_sigmas: { kind: 'bool', default: false },
    use_exponential_sigmas: { kind: 'bool', default: false },
    use_beta_sigmas: NOT_BETA,
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction']),
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 }
  },
  LCMScheduler: {
    ...betaKeys(0.00085, 0.012, 'scaled_linear'),
    original_inference_steps: { kind: 'int', default: 50, min: 1 },
    clip_sample: { kind: 'bool', default: false },
    clip_sample_range: { kind: 'number', default: 1.0 },
    set_alpha_to_one: { kind: 'bool', default: true },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction']),
    ...thresholdingKeys,
    timestep_spacing: spacing('leading'),
    timestep_scaling: { kind: 'number', default: 10.0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false }
  },
  UniPCMultistepScheduler: {
    ...betaKeys(),
    solver_order: { kind: 'int', default: 2, min: 1 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction'], FLOW_PREDICTION),
    ...thresholdingKeys,
    predict_x0: { kind: 'bool', default: true },
    solver_type: {
      kind: 'enum',
      default: 'bh2',
      allowed: ['bh1', 'bh2'],
      aliases: { midpoint: 'bh2', heun: 'bh2', logrho: 'bh2' }
    },
    lower_order_final: { kind: 'bool', default: true },
    disable_corrector: { kind: 'intList', default: [] },
    solver_p: {
      kind: 'null',
      default: null,
      reason: 'a separate predictor scheduler (solver_p) is not supported'
    },
    ...sigmaScheduleKeys,
    ...flowKeys,
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 },
    final_sigmas_type: { kind: 'enum', default: 'zero', allowed: ['zero', 'sigma_min'] },
    rescale_betas_zero_snr: { kind: 'bool', default: false },
    use_dynamic_shifting: NOT_DYNAMIC_SHIFTING,
    time_shift_type: { kind: 'enum', default: 'exponential', allowed: ['exponential'] },
    sigma_min: { kind: 'optionalNumber', default: null },
    sigma_max: { kind: 'optionalNumber', default: null },
    shift_terminal: { kind: 'null', default: null, reason: 'it needs use_flow_sigmas' }
  },
  HeunDiscreteScheduler: {
    ...betaKeys(0.00085, 0.012, 'linear'),
    prediction_type: prediction(['epsilon', 'v_prediction', 'sample']),
    ...sigmaScheduleKeys,
    clip_sample: { kind: 'bool', default: false },
    clip_sample_range: { kind: 'number', default: 1.0 },
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 }
  },
  KDPM2DiscreteScheduler: {
    ...betaKeys(0.00085, 0.012, 'linear'),
    ...sigmaScheduleKeys,
    prediction_type: prediction(['epsilon', 'v_prediction'], {
      sample: 'diffusers raises NotImplementedError for it'
    }),
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 }
  },
  KDPM2AncestralDiscreteScheduler: {
    ...betaKeys(0.00085, 0.012, 'linear'),
    ...sigmaScheduleKeys,
    prediction_type: prediction(['epsilon', 'v_prediction'], {
      sample: 'diffusers raises NotImplementedError for it'
    }),
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 }
  },
  DPMSolverSinglestepScheduler: {
    ...betaKeys(),
    solver_order: { kind: 'int', default: 2, min: 1 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction'], FLOW_PREDICTION),
    ...thresholdingKeys,
    algorithm_type: {
      kind: 'enum',
      default: 'dpmsolver++',
      allowed: ['dpmsolver', 'dpmsolver++', 'sde-dpmsolver++'],
      aliases: { deis: 'dpmsolver++' }
    },
    solver_type: {
      kind: 'enum',
      default: 'midpoint',
      allowed: ['midpoint', 'heun'],
      aliases: { logrho: 'midpoint', bh1: 'midpoint', bh2: 'midpoint' }
    },
    lower_order_final: { kind: 'bool', default: false },
    ...sigmaScheduleKeys,
    ...flowKeys,
    final_sigmas_type: { kind: 'enum', default: 'zero', allowed: ['zero', 'sigma_min'] },
    lambda_min_clipped: { kind: 'number', default: -Infinity },
    variance_type: LEARNED_VARIANCE,
    use_dynamic_shifting: NOT_DYNAMIC_SHIFTING,
    time_shift_type: { kind: 'enum', default: 'exponential', allowed: ['exponential'] }
  },
  DEISMultistepScheduler: {
    ...betaKeys(),
    solver_order: { kind: 'int', default: 2, min: 1 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction'], FLOW_PREDICTION),
    ...thresholdingKeys,
    algorithm_type: {
      kind: 'enum',
      default: 'deis',
      allowed: ['deis'],
      aliases: { dpmsolver: 'deis', 'dpmsolver++': 'deis' }
    },
    solver_type: {
      kind: 'enum',
      default: 'logrho',
      allowed: ['logrho'],
      aliases: { midpoint: 'logrho', heun: 'logrho', bh1: 'logrho', bh2: 'logrho' }
    },
    lower_order_final: { kind: 'bool', default: true },
    ...sigmaScheduleKeys,
    ...flowKeys,
    timestep_spacing: spacing('linspace'),
    steps_offset: { kind: 'int', default: 0, min: 0 },
    use_dynamic_shifting: NOT_DYNAMIC_SHIFTING,
    time_shift_type: { kind: 'enum', default: 'exponential', allowed: ['exponential'] }
  },
  TCDScheduler: {
    ...betaKeys(0.00085, 0.012, 'scaled_linear'),
    original_inference_steps: { kind: 'int', default: 50, min: 1 },
    clip_sample: { kind: 'bool', default: false },
    clip_sample_range: { kind: 'number', default: 1.0 },
    set_alpha_to_one: { kind: 'bool', default: true },
    steps_offset: { kind: 'int', default: 0, min: 0 },
    prediction_type: prediction(['epsilon', 'sample', 'v_prediction']),
    ...thresholdingKeys,
    timestep_spacing: spacing('leading'),
    timestep_scaling: { kind: 'number', default: 10.0 },
    rescale_betas_zero_snr: { kind: 'bool', default: false }
  }
} as const satisfies Readonly<Record<SchedulerClassName, ConfigSpec>>
