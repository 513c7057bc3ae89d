import type { ModelDefaults, ModelFamily } from '../../shared/contract'
import { resolveSchedulerName } from '../../shared/params'
import type { ModelFolderCheck } from '../engine'

/**
 * Which Stable Diffusion family a checked model folder is, and the defaults that suit it, read
 * from the model's own configs: the pipeline class (SD or SDXL), the UNet's cross-attention width
 * (768 for SD 1.x's CLIP ViT-L, 1024 for SD 2.x's OpenCLIP ViT-H, from unet/config.json or, in
 * diffusers' legacy layout without configs, from the graph itself), and for the distilled Turbo
 * models the names the exporters leave behind or their "trailing" Euler schedule.
 */

/** A model's family as the app shows it. */
export interface FamilyInfo {
  family: ModelFamily
  turbo: boolean
  /** "SD 1.x", "SD 2.x", "SD-Turbo", "SDXL", "SDXL-Turbo". */
  label: string
}

/** diffusers' pipeline defaults for guidance, used where a model does not say otherwise. */
const DIFFUSERS_GUIDANCE = { sd: 7.5, sdxl: 5.0 } as const
/** diffusers' default `num_inference_steps`. */
const DIFFUSERS_STEPS = 50
/**
 * Turbo models: one step without guidance (the SD-Turbo and SDXL-Turbo model cards: "guidance
 * scale 0.0", 1–4 steps) at 512×512, the size both were distilled at.
 */
const TURBO = { steps: 1, guidance: 0, size: 512 } as const

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

/**
 * Names and paths that exporters copy from the source repository (`_name_or_path` in configs)
 * plus what the user or the download called it.
 */
function nameHints(check: ModelFolderCheck, extra: readonly string[]): string[] {
  const f = check.folder
  return [
    textOf(f.index.raw['_name_or_path']),
    textOf(f.unetConfig.raw['_name_or_path']),
    textOf(f.schedulerConfig['_name_or_path']),
    ...Object.values(f.textEncoderConfigs).map((c) => textOf(c?.raw['_name_or_path'])),
    f.dir,
    ...extra
  ].filter((h) => h !== '')
}

/** SD 1.x / 2.x / SDXL and whether it is a Turbo model. */
export function detectFamily(
  check: ModelFolderCheck,
  declared: ModelFamily | null,
  extraNames: readonly string[] = []
): FamilyInfo {
  const folder = check.folder
  const family: ModelFamily =
    declared ??
    (folder.family === 'sdxl' ? 'sdxl' : check.crossAttentionDim === 1024 ? 'sd2' : 'sd1')
  const scheduler = folder.schedulerConfig
  const trailingEuler =
    scheduler['timestep_spacing'] === 'trailing' &&
    /^Euler(Ancestral)?DiscreteScheduler$/.test(textOf(scheduler['_class_name']))
  const named = nameHints(check, extraNames).some((h) => /turbo/i.test(h))
  const turbo = family !== 'sd1' && (named || trailingEuler)
  const label =
    family === 'sd1'
      ? 'SD 1.x'
      : family === 'sd2'
        ? turbo
          ? 'SD-Turbo'
          : 'SD 2.x'
        : turbo
          ? 'SDXL-Turbo'
          : 'SDXL'
  return { family, turbo, label }
}

/**
 * The defaults a generation gets when the user leaves a value empty: the model's stepwise.json
 * first, then the Turbo settings for Turbo models, then what diffusers' pipelines do (50 steps;
 * guidance 7.5 for SD, 5.0 for SDXL; `sample_size × vae_scale_factor`; the scheduler config's
 * class). Mirrors the engine's own defaults, so an omitted value means the same everywhere.
 */
export function modelDefaults(check: ModelFolderCheck, info: FamilyInfo): ModelDefaults {
  const folder = check.folder
  const d = folder.stepwise?.defaults
  const sample = folder.unetConfig.sampleSize ?? (folder.family === 'sdxl' ? 128 : 64)
  const [h, w] = Array.isArray(sample) ? sample : [sample, sample]
  const f = folder.vaeConfig.scaleFactor
  const named = d?.scheduler ?? folder.schedulerConfig['_class_name']
  const guidanceScale =
    d?.guidanceScale ?? (info.turbo ? TURBO.guidance : DIFFUSERS_GUIDANCE[folder.family])
  return {
    numInferenceSteps: d?.numInferenceSteps ?? (info.turbo ? TURBO.steps : DIFFUSERS_STEPS),
    guidanceScale,
    width: d?.width ?? (info.turbo ? TURBO.size : w * f),
    height: d?.height ?? (info.turbo ? TURBO.size : h * f),
    scheduler:
      (typeof named === 'string' ? resolveSchedulerName(named) : null) ?? 'EulerDiscreteScheduler',
    // diffusers' do_classifier_free_guidance: guidance > 1 and no guidance-embedding UNet.
    cfg: guidanceScale > 1 && folder.unetConfig.timeCondProjDim === null,
    sizeMultiple: folder.sizeMultiple
  }
}
