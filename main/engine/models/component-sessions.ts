import { performance } from 'node:perf_hooks'
import {
  createSessionWithFallback,
  resolveExecutionProviders,
  unavailableProviders,
  type ExecutionProviderName,
  type SessionSettings
} from './execution-providers'
import { graphPassCache, type GraphPassCache } from './graph-pass-cache'
import { createModelWithGraphPasses, type GraphPassReport } from './graph-passes'
import { componentLabel, graphBytes, report, type LoadProgressListener } from './load-progress'
import { type ModelFolder, type OnnxComponent } from './model-folder'
import { ModelLoadError } from './model-load-error'
import { OnnxModel } from './onnx-model'
import { graphFileFor } from './precision-variant'

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
  /** Told when each session is being created and when it is (`fromPretrained`'s `onLoadProgress`). */
  onLoadProgress: LoadProgressListener | null = null

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
    return this.getAt(component, 1, 1)
  }

  /** Whether `component`'s session exists or is being created. */
  has(component: OnnxComponent): boolean {
    return this.pending.has(component)
  }

  /**
   * Creates the sessions of `components` that do not exist yet, one after the other, reporting
   * each as `index` of the number created (the load a progress display shows as "2 of 4").
   */
  async loadInOrder(components: readonly OnnxComponent[]): Promise<void> {
    const fresh = components.filter((c, k) => !this.has(c) && components.indexOf(c) === k)
    for (const [k, c] of fresh.entries()) await this.getAt(c, k + 1, fresh.length)
  }

  /** Creates every session the pipeline needs now (e.g. during a "loading" phase). */
  async loadAll(): Promise<void> {
    await this.loadInOrder(this.folder.components)
  }

  private getAt(component: OnnxComponent, index: number, total: number): Promise<OnnxModel> {
    let p = this.pending.get(component)
    if (p === undefined) {
      p = this.create(component, index, total)
      this.pending.set(component, p)
      // A failed load is not cached: fixing the file and retrying must work.
      p.catch(() => this.pending.delete(component))
    }
    return p
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

  private async create(component: OnnxComponent, index: number, total: number): Promise<OnnxModel> {
    // Graph passes are prepared for the provider the session will first be tried on, and a
    // folder holding both precisions gives the one that is faster there.
    const provider = this.providers.find((p) => !this.failedProviders.has(p)) ?? 'cpu'
    const { file, label } =
      this.files.get(component) ??
      graphFileFor(
        this.folder.dir,
        component,
        provider,
        this.folder.fp16Variants?.includes(component) === true
      )
    const createModel = async (bytes: Uint8Array | null): Promise<OnnxModel> => {
      const created = await createSessionWithFallback(
        file,
        this.providers,
        { ...this.settings, enableCpuMemArena: cpuMemArenaFor(component, this.settings) },
        this.failedProviders,
        bytes ?? undefined
      )
      if (created.failures.length > 0) {
        const tried = created.failures.map((f) => `${f.provider} (${f.message})`).join('; ')
        this.fallbacks.set(component, `${created.provider}: ${tried} could not be used`)
      }
      return new OnnxModel(created.session, file, label, created.provider)
    }
    const listener = this.onLoadProgress
    const place = { component, label: componentLabel(component), index, total }
    const bytes = listener === null ? null : await graphBytes(file)
    const started = performance.now()
    report(listener, { ...place, phase: 'start', bytes })
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
      report(listener, { ...place, phase: 'done', bytes, ms: performance.now() - started })
      return result.model
    } catch (error) {
      if (error instanceof ModelLoadError) throw error
      throw new ModelLoadError(file, `${label} could not be loaded: ${(error as Error).message}`, {
        cause: error
      })
    }
  }
}

/**
 * Whether `component`'s session keeps onnxruntime's CPU memory arena. The arena keeps the peak of
 * a run's intermediate tensors for the session's life, which pays for graphs that run once per
 * step (the UNet: the next step reuses it) and costs for those that run once per call: the VAE
 * decoder at 768² would keep GiBs (measured: 4.65 GiB peak with the arena, 3.19 without).
 */
export function cpuMemArenaFor(component: OnnxComponent, settings: SessionSettings): boolean {
  const chosen = settings.cpuMemArena?.[component]
  if (chosen !== undefined) return chosen
  if (settings.enableCpuMemArena !== undefined) return settings.enableCpuMemArena
  return component !== 'vae_decoder'
}
