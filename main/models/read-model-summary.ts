import { promises as fs } from 'node:fs'
import { basename, join } from 'node:path'
import type { ModelDefaults, ModelFamily, ModelSummary } from '../../shared/contract'
import { resolveSchedulerName } from '../../shared/params'
import type { SchedulerClassName } from '../../shared/params'

/**
 * Reads what the model picker shows about one model folder, from its JSON files only (no ONNX
 * session, so listing stays instant): `model_index.json` (which pipeline), the scheduler, UNet
 * and VAE configs, and Stepwise's optional `stepwise.json` (name, description, family,
 * defaults). Whether the graphs themselves load is the engine's business at generate time.
 */

type Json = Record<string, unknown>

/** Why a folder is not a usable model (it is then left out of the list). */
export class NotAModelError extends Error {
  constructor(
    readonly dir: string,
    message: string
  ) {
    super(message)
    this.name = 'NotAModelError'
  }
}

async function readJson(file: string, required: boolean): Promise<Json | null> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new NotAModelError(file, `${file} cannot be read: ${(error as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new NotAModelError(file, `${file} is not valid JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NotAModelError(file, `${file} must hold a JSON object`)
  }
  return value as Json
}

const num = (obj: Json | null, key: string): number | null => {
  const v = obj?.[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
const str = (obj: Json | null, key: string): string | null => {
  const v = obj?.[key]
  return typeof v === 'string' ? v : null
}

/** diffusers' pipeline defaults, used where a model does not say otherwise. */
const PIPELINE_DEFAULTS = {
  sd: { numInferenceSteps: 50, guidanceScale: 7.5 },
  sdxl: { numInferenceSteps: 50, guidanceScale: 5.0 }
} as const

const XL_CLASSES = ['StableDiffusionXLPipeline', 'ORTStableDiffusionXLPipeline']
const SD_CLASSES = [
  'StableDiffusionPipeline',
  'ORTStableDiffusionPipeline',
  'OnnxStableDiffusionPipeline'
]

function familyOf(pipelineClass: string, unet: Json | null, declared: string | null): ModelFamily {
  if (declared === 'sd1' || declared === 'sd2' || declared === 'sdxl') return declared
  if (XL_CLASSES.includes(pipelineClass)) return 'sdxl'
  // SD 2.x: OpenCLIP-H text encoder, 1024-wide cross-attention.
  return num(unet, 'cross_attention_dim') === 1024 ? 'sd2' : 'sd1'
}

/** Total size of the files under `dir` (following links to external weights). */
export async function folderSize(dir: string, depth = 0): Promise<number> {
  if (depth > 8) return 0
  let total = 0
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(dir, entry.name)
    const info = await fs.stat(path).catch(() => null)
    if (info === null) continue
    if (info.isDirectory()) total += await folderSize(path, depth + 1)
    else if (info.isFile()) total += info.size
  }
  return total
}

/** Reads one model folder; throws {@link NotAModelError} if it is not one. */
export async function readModelSummary(
  dir: string,
  id: string,
  builtIn: boolean
): Promise<ModelSummary> {
  const index = await readJson(join(dir, 'model_index.json'), true)
  const pipelineClass = str(index, '_class_name') ?? ''
  if (![...SD_CLASSES, ...XL_CLASSES].includes(pipelineClass)) {
    throw new NotAModelError(
      dir,
      `${dir}/model_index.json names the pipeline ${JSON.stringify(pipelineClass)}, which Stepwise cannot run`
    )
  }
  const stepwise = await readJson(join(dir, 'stepwise.json'), false)
  const scheduler = await readJson(join(dir, 'scheduler', 'scheduler_config.json'), false)
  const unet = await readJson(join(dir, 'unet', 'config.json'), false)
  const vae =
    (await readJson(join(dir, 'vae_decoder', 'config.json'), false)) ??
    (await readJson(join(dir, 'vae', 'config.json'), false))

  const family = familyOf(pipelineClass, unet, str(stepwise, 'family'))
  const declared = (stepwise?.['defaults'] ?? null) as Json | null
  const blocks = vae?.['block_out_channels']
  const vaeScaleFactor = Array.isArray(blocks) && blocks.length > 0 ? 2 ** (blocks.length - 1) : 8
  const sampleSize = num(unet, 'sample_size') ?? (family === 'sdxl' ? 128 : 64)
  const pipeline = PIPELINE_DEFAULTS[family === 'sdxl' ? 'sdxl' : 'sd']
  const schedulerName = (name: string | null): SchedulerClassName | null =>
    name === null ? null : resolveSchedulerName(name)

  const defaults: ModelDefaults = {
    numInferenceSteps: num(declared, 'num_inference_steps') ?? pipeline.numInferenceSteps,
    guidanceScale: num(declared, 'guidance_scale') ?? pipeline.guidanceScale,
    width: num(declared, 'width') ?? sampleSize * vaeScaleFactor,
    height: num(declared, 'height') ?? sampleSize * vaeScaleFactor,
    scheduler:
      schedulerName(str(declared, 'scheduler')) ??
      schedulerName(str(scheduler, '_class_name')) ??
      'EulerDiscreteScheduler'
  }
  return {
    id,
    name: str(stepwise, 'name') ?? basename(dir),
    description: str(stepwise, 'description') ?? '',
    family,
    path: dir,
    defaults,
    sizeBytes: await folderSize(dir),
    builtIn
  }
}
