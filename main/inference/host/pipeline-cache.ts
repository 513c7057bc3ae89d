import { stat } from 'node:fs/promises'
import type { ProviderName } from '../../../shared/params'
import type { LoadProgressEvent, Scheduler, SessionSettings } from '../../engine'
import { AutoPipelineForText2Image, checkModelFolder, ModelLoadError } from '../../engine'
import type { InferenceProcessStatus } from '../protocol'

/** A pipeline as the inference host uses it: what `AutoPipelineForText2Image.fromPretrained` returns. */
export type Text2ImagePipeline = Awaited<
  ReturnType<typeof AutoPipelineForText2Image.fromPretrained>
>

/** A loaded pipeline and the scheduler its model folder configured. */
export interface CachedPipeline {
  pipe: Text2ImagePipeline
  /** The model's own scheduler, restored before a job that does not choose one. */
  modelScheduler: Scheduler
}

/**
 * Keeps the last used pipeline (per model folder and provider) loaded between jobs, so the
 * second generation with the same model skips loading its sessions. One entry only: a model's
 * sessions hold hundreds of MB to GB of native memory, and a switch frees the previous ones.
 */
export class PipelineCache {
  private key: string | null = null
  private entry: Promise<CachedPipeline> | null = null
  /**
   * Where the loaded pipelines' per-component load progress goes now: the running job's hooks
   * (sessions are created at a job's first call, and again after a release).
   */
  onLoadProgress: ((event: LoadProgressEvent) => void) | null = null

  /**
   * @param settings session settings every pipeline gets; `graphPassCacheDir` keeps graph-pass
   * check verdicts between processes (the host's data folder knows where).
   */
  constructor(private readonly settings: Pick<SessionSettings, 'graphPassCacheDir'> = {}) {}

  /** Whether `get(modelDir, provider)` would reuse a loaded pipeline. */
  has(modelDir: string, provider: ProviderName): boolean {
    return this.entry !== null && this.key === keyOf(modelDir, provider)
  }

  /**
   * The pipeline for `modelDir` on `provider`, loading it (and freeing another) if needed.
   * The new folder is read and checked (configs, and each graph's header: inputs, outputs,
   * completeness) before the loaded pipeline is freed, so a broken folder leaves the loaded model
   * as it was. What only a session can reveal shows after the previous model's memory was freed
   * to make room; that model then loads again on its next job.
   */
  async get(modelDir: string, provider: ProviderName): Promise<CachedPipeline> {
    const key = keyOf(modelDir, provider)
    if (this.entry !== null && this.key === key) {
      // Loaded sessions would keep running from memory; a folder that is gone must say so.
      if (!(await isFolder(modelDir))) {
        await this.release()
        throw new ModelLoadError(
          modelDir,
          `The model folder ${modelDir} was deleted or moved after it was loaded; choose another model or put the folder back`
        )
      }
      return this.entry
    }
    // Headers only, no session: a truncated or mismatched graph is found before anything loaded
    // is freed.
    await checkModelFolder(modelDir)
    const pipe = await AutoPipelineForText2Image.fromPretrained(modelDir, {
      ...this.settings,
      executionProviders: [provider],
      onLoadProgress: (event) => this.onLoadProgress?.(event)
    })
    await this.release()
    const entry = Promise.resolve({ pipe, modelScheduler: pipe.scheduler })
    this.key = key
    this.entry = entry
    return entry
  }

  /** The loaded model folder and provider, and the graphs whose sessions exist now. */
  async loaded(): Promise<Omit<InferenceProcessStatus, 'rssBytes'>> {
    const entry = this.entry
    if (entry === null || this.key === null)
      return { modelDir: null, provider: null, components: [] }
    const [provider, modelDir] = this.key.split('\u0000') as [string, string]
    const used = await (await entry).pipe.usedProviders()
    const components = Object.entries(used).map(([component, p]) => ({
      component,
      provider: p as string
    }))
    return { modelDir, provider, components }
  }

  /** Frees the loaded sessions, if any. */
  async release(): Promise<void> {
    const entry = this.entry
    this.entry = null
    this.key = null
    if (entry === null) return
    try {
      await (await entry).pipe.release()
    } catch {
      // A pipeline that failed to load has nothing to free.
    }
  }
}

function keyOf(modelDir: string, provider: ProviderName): string {
  return `${provider}\u0000${modelDir}`
}

async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (info) => info.isDirectory(),
    () => false
  )
}
