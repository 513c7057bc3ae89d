import {
  createSessionWithFallback,
  resolveExecutionProviders,
  unavailableProviders,
  type ExecutionProviderName,
  type SessionSettings
} from './execution-providers'
import { graphPassCache, type GraphPassCache } from './graph-pass-cache'
import { createModelWithGraphPasses, type GraphPassReport } from './graph-passes'
import { componentModelPath, type ModelFolder, type OnnxComponent } from './model-folder'
import { ModelLoadError } from './model-load-error'
import { OnnxModel } from './onnx-model'

/**
 * The onnxruntime sessions of one model folder, created lazily on first use (one per graph)
 * and freed by {@link ComponentSessions.release}; a later use creates them again. Each session
 * is tried on the requested execution providers in order, falling back to CPU; which provider
 * each graph actually got, and why others failed, is recorded.
 */
export class ComponentSessions {
  readonly folder: ModelFolder
  readonly providers: readonly ExecutionProviderName[]
  private readonly settings: SessionSettings
  private readonly pending = new Map<OnnxComponent, Promise<OnnxModel>>()
  private readonly failedProviders: Map<ExecutionProviderName, string>
  /** Per graph: the provider it got and the failures before it. */
  private readonly fallbacks = new Map<OnnxComponent, string>()
  /** Graphs that live elsewhere than `<folder>/<component>/model.onnx` (a separate TAESD folder). */
  private readonly files = new Map<OnnxComponent, { file: string; label: string }>()
  /** Per graph: what the graph passes did at its last load. */
  private readonly passReports = new Map<OnnxComponent, GraphPassReport[]>()
  private readonly passCache: GraphPassCache

  constructor(folder: ModelFolder, settings: SessionSettings) {
    this.folder = folder
    this.settings = settings
    this.providers = resolveExecutionProviders(settings.executionProviders)
    // Providers this install cannot offer are failures known before any attempt.
    this.failedProviders = unavailableProviders(this.providers)
    this.passCache = graphPassCache(settings.graphPassCacheDir)
  }

  /** The session of `component`, creating it on first use. */
  get(component: OnnxComponent): Promise<OnnxModel> {
    let p = this.pending.get(component)
    if (p === undefined) {
      p = this.create(component)
      this.pending.set(component, p)
      // A failed load is not cached: fixing the file and retrying must work.
      p.catch(() => this.pending.delete(component))
    }
    return p
  }

  /** Creates every session the pipeline needs now (e.g. during a "loading" phase). */
  async loadAll(): Promise<void> {
    for (const c of this.folder.components) await this.get(c)
  }

  /** Provider each created session runs on, by component. */
  async usedProviders(): Promise<Partial<Record<OnnxComponent, ExecutionProviderName>>> {
    const out: Partial<Record<OnnxComponent, ExecutionProviderName>> = {}
    for (const [component, p] of this.pending) {
      const model = await p.catch(() => null)
      if (model !== null) out[component] = model.provider
    }
    return out
  }

  /**
   * Warnings for graphs that could not use the first requested provider, one per distinct
   * outcome (typically one line: "… run on cpu: cuda (reason) could not be used"), and for graph
   * passes that fell back to the graph as exported after trying (a failed check or upcast).
   */
  get warnings(): string[] {
    const grouped = new Map<string, string[]>()
    for (const [component, outcome] of this.fallbacks) {
      grouped.set(outcome, [...(grouped.get(outcome) ?? []), `${component}/model.onnx`])
    }
    const passes = this.graphPasses
      .filter((r) => !r.applied && (r.check?.passed === false || r.pass === 'float32-upcast'))
      .map((r) => `${r.component}/model.onnx: ${r.summary}`)
    return [
      ...[...grouped].map(
        ([outcome, labels]) =>
          `${labels.join(', ')} ${labels.length === 1 ? 'runs' : 'run'} on ${outcome}`
      ),
      ...passes
    ]
  }

  /**
   * What the graph passes did to each graph loaded so far (see graph-passes.ts), in load
   * order: e.g. `{ pass: 'attention-fusion', component: 'unet', applied: true, summary:
   * 'attention fused (16 of 16)' }`. Kept after `release()` until the graph loads again.
   */
  get graphPasses(): GraphPassReport[] {
    return [...this.passReports.values()].flat()
  }

  /**
   * Points `component` at another graph file (e.g. the tiny decoder of a separately downloaded
   * TAESD folder), or back at the folder's own with null. A session already created from another
   * file is released; the next use creates one from the new file.
   */
  async setGraphFile(
    component: OnnxComponent,
    source: { file: string; label: string } | null
  ): Promise<void> {
    const current = this.files.get(component)?.file ?? null
    if (current === (source?.file ?? null)) return
    if (source === null) this.files.delete(component)
    else this.files.set(component, { file: source.file, label: source.label })
    const pending = this.pending.get(component)
    this.pending.delete(component)
    this.fallbacks.delete(component)
    const model = pending === undefined ? null : await pending.catch(() => null)
    if (model !== null) await model.release()
  }

  /** Frees every session; later uses create them again. */
  async release(): Promise<void> {
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) {
      const model = await p.catch(() => null)
      if (model !== null) await model.release()
    }
  }

  private async create(component: OnnxComponent): Promise<OnnxModel> {
    const moved = this.files.get(component)
    const file = moved?.file ?? componentModelPath(this.folder.dir, component)
    const label = moved?.label ?? `${component}/model.onnx`
    // Graph passes are prepared for the provider the session will first be tried on.
    const provider = this.providers.find((p) => !this.failedProviders.has(p)) ?? 'cpu'
    const createModel = async (bytes: Uint8Array | null): Promise<OnnxModel> => {
      const created = await createSessionWithFallback(
        file,
        this.providers,
        this.settings,
        this.failedProviders,
        bytes ?? undefined
      )
      if (created.failures.length > 0) {
        const tried = created.failures.map((f) => `${f.provider} (${f.message})`).join('; ')
        this.fallbacks.set(component, `${created.provider}: ${tried} could not be used`)
      }
      return new OnnxModel(created.session, file, label, created.provider)
    }
    try {
      const result = await createModelWithGraphPasses({
        component,
        file,
        folder: this.folder,
        provider,
        fuseAttention: this.settings.fuseAttention !== false,
        cache: this.passCache,
        createModel
      })
      this.passReports.set(component, result.reports)
      return result.model
    } catch (error) {
      if (error instanceof ModelLoadError) throw error
      throw new ModelLoadError(file, `${label} could not be loaded: ${(error as Error).message}`, {
        cause: error
      })
    }
  }
}
