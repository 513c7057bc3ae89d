import type { ProviderName } from '../../../shared/params'
import type { Scheduler } from '../index'
import { AutoPipelineForText2Image } from '../index'

/** A pipeline as the worker uses it: what `AutoPipelineForText2Image.fromPretrained` returns. */
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

  /** Whether `get(modelDir, provider)` would reuse a loaded pipeline. */
  has(modelDir: string, provider: ProviderName): boolean {
    return this.entry !== null && this.key === keyOf(modelDir, provider)
  }

  /** The pipeline for `modelDir` on `provider`, loading it (and freeing another) if needed. */
  async get(modelDir: string, provider: ProviderName): Promise<CachedPipeline> {
    const key = keyOf(modelDir, provider)
    if (this.entry !== null && this.key === key) return this.entry
    await this.release()
    const entry = AutoPipelineForText2Image.fromPretrained(modelDir, {
      executionProviders: [provider]
    }).then((pipe) => ({ pipe, modelScheduler: pipe.scheduler }))
    this.key = key
    this.entry = entry
    // A failed load must not be cached: the next job tries again (the folder may be fixed).
    entry.catch(() => {
      if (this.entry === entry) {
        this.entry = null
        this.key = null
      }
    })
    return entry
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
