import type { OperationName } from './channels'

/**
 * The words people see for parameters and operation arguments. Schemas and plans speak in field
 * paths (`numInferenceSteps`, `cfgCutoff.stepIndex`, `0.repo`); messages a person reads name the
 * control they typed into instead ("Steps", "CFG cutoff step index", "Repository").
 */

/** Generation parameters by field path, as the form labels them. */
export const PARAM_LABELS: Readonly<Record<string, string>> = {
  modelId: 'Model',
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  numInferenceSteps: 'Steps',
  guidanceScale: 'Guidance (CFG)',
  guidanceRescale: 'Guidance rescale',
  width: 'Width',
  height: 'Height',
  seed: 'Seed',
  scheduler: 'Scheduler',
  useKarrasSigmas: 'Karras sigmas',
  algorithmType: 'Algorithm type',
  cfgCutoff: 'CFG cutoff',
  'cfgCutoff.ratio': 'CFG cutoff',
  'cfgCutoff.stepIndex': 'CFG cutoff step index',
  cfgInterval: 'Guidance range',
  'cfgInterval.startRatio': 'Guidance range start',
  'cfgInterval.endRatio': 'Guidance range end',
  'cfgInterval.startStepIndex': 'Guidance range start step index',
  'cfgInterval.endStepIndex': 'Guidance range end step index',
  stopAtStep: 'Stop at step',
  previewEvery: 'Preview every',
  previewMethod: 'Preview method',
  numImagesPerPrompt: 'Images per prompt',
  keepPreviews: 'Keep previews',
  provider: 'Execution provider',
  initImage: 'Input picture',
  maskImage: 'Mask',
  strength: 'Strength'
}

/** A field path as text: `['cfgCutoff', 'stepIndex']` → `cfgCutoff.stepIndex`. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.')
}

/** The label of a parameter path, or the path itself for one without a label. */
export function paramLabel(path: readonly PropertyKey[] | string): string {
  const text = typeof path === 'string' ? path : pathText(path)
  return PARAM_LABELS[text] ?? text
}

/** Operations as a sentence names them ("Cannot add model: …"). */
export const OPERATION_LABELS: Readonly<Record<OperationName, string>> = {
  getCapabilities: 'Cannot read capabilities',
  listModels: 'Cannot list models',
  modelLibrary: 'Cannot list the model library',
  addModel: 'Cannot add the model',
  removeModel: 'Cannot remove the model',
  modelInfo: 'Cannot describe the model',
  pickModelFolder: 'Cannot pick a folder',
  knownModels: 'Cannot list known models',
  startDownload: 'Cannot download',
  cancelDownload: 'Cannot cancel the download',
  dismissDownload: 'Cannot dismiss the download',
  listDownloads: 'Cannot list downloads',
  inferenceStatus: 'Cannot read the inference status',
  planRun: 'Cannot plan the run',
  generate: 'Cannot generate',
  stop: 'Cannot stop',
  stopNow: 'Cannot stop now',
  setCfgCutoff: 'Cannot move the CFG cutoff',
  setCfgInterval: 'Cannot move the guidance range',
  setGuidanceScale: 'Cannot change the guidance scale',
  listJobs: 'Cannot list jobs',
  liveJob: 'Cannot read the running job',
  countTokens: 'Cannot count tokens',
  historyList: 'Cannot list history',
  historyGet: 'Cannot read the history entry',
  historyDelete: 'Cannot delete the history entry',
  historyImage: 'Cannot read the history image',
  showHistoryFile: 'Cannot show the file',
  loadFormState: 'Cannot read the saved form',
  saveFormState: 'Cannot save the form',
  putInputImage: 'Cannot store the input picture',
  inputImage: 'Cannot read the input picture'
}

/** What each positional argument of an operation is, where a person would recognise it. */
const ARGUMENT_LABELS: Partial<Record<OperationName, readonly string[]>> = {
  addModel: ['Folder'],
  removeModel: ['Model id'],
  modelInfo: ['Model id'],
  startDownload: ['Download'],
  cancelDownload: ['Download id'],
  dismissDownload: ['Download id'],
  stop: ['Job id'],
  stopNow: ['Job id'],
  setCfgCutoff: ['Job id', 'CFG cutoff'],
  setCfgInterval: ['Job id', 'Guidance range'],
  setGuidanceScale: ['Job id', 'Guidance scale'],
  historyGet: ['History entry id'],
  historyDelete: ['History entry id'],
  historyImage: ['Image'],
  showHistoryFile: ['History entry id'],
  countTokens: ['Model id', 'Text'],
  saveFormState: ['Form'],
  putInputImage: ['Picture'],
  inputImage: ['Input picture id']
}

/** Fields inside an argument object, by name. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  repo: 'Repository',
  revision: 'Revision',
  token: 'Access token',
  id: 'Id',
  step: 'Step'
}

/**
 * The label of an argument path of `operation`: parameters of `generate` and `planRun` by their
 * form label, other arguments by what they are (`addModel` 0 → "Folder", `startDownload`
 * 0.repo → "Repository").
 */
export function argumentLabel(operation: OperationName, path: readonly PropertyKey[]): string {
  const [index, ...rest] = path
  if (operation === 'generate' || operation === 'planRun') {
    return rest.length === 0 ? 'Parameters' : paramLabel(rest)
  }
  if (operation === 'setCfgCutoff' && index === 1) {
    return rest.length === 0 ? 'CFG cutoff' : paramLabel(['cfgCutoff', ...rest])
  }
  if (operation === 'setCfgInterval' && index === 1) {
    return rest.length === 0 ? 'Guidance range' : paramLabel(['cfgInterval', ...rest])
  }
  const last = rest[rest.length - 1]
  if (last !== undefined && typeof last === 'string' && FIELD_LABELS[last] !== undefined) {
    return FIELD_LABELS[last]
  }
  const labels = ARGUMENT_LABELS[operation]
  const own = typeof index === 'number' ? labels?.[index] : undefined
  return own ?? (path.length === 0 ? 'Arguments' : pathText(path))
}
