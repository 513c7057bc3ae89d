import {
  createSessionWithFallback,
  resolveExecutionProviders,
  unavailableProviders,
  type ExecutionProviderName,
  type SessionSettings
} from './execution-providers'
import { upcastFloat16Model } from './float32-upcast'
import { componentModelPath, type ModelFolder, type OnnxComponent } from './model-folder'
import { ModelLoadError } from './model-load-error'
import { readOnnxHeader } from './onnx-header'
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

  constructor(folder: ModelFolder, settings: SessionSettings) {
    this.folder = folder
    this.settings = settings
    this.providers = resolveExecutionProviders(settings.executionProviders)
    // Providers this install cannot offer are failures known before any attempt.
    this.failedProviders = unavailableProviders(this.providers)
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
   * outcome (typically one line: "… run on cpu: cuda (reason) could not be used").
   */
  get warnings(): string[] {
    const grouped = new Map<string, string[]>()
    for (const [component, outcome] of this.fallbacks) {
      grouped.set(outcome, [...(grouped.get(outcome) ?? []), `${component}/model.onnx`])
    }
    return [...grouped].map(
      ([outcome, labels]) =>
        `${labels.join(', ')} ${labels.length === 1 ? 'runs' : 'run'} on ${outcome}`
    )
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

  /**
   * A float32 copy of a float16 VAE decoder or encoder whose config sets `force_upcast` (the SDXL
   * VAE overflows in float16; diffusers decodes and encodes it in float32), else undefined: the
   * file as it is.
   */
  private async upcastIfAsked(
    component: OnnxComponent,
    file: string
  ): Promise<Uint8Array | undefined> {
    if (!component.startsWith('vae_') || !this.folder.vaeConfig.forceUpcast) return undefined
    const header = await readOnnxHeader(file)
    if (!header.inputs.some((io) => io.type === 'float16')) return undefined
    return upcastFloat16Model(file)
  }

  private async create(component: OnnxComponent): Promise<OnnxModel> {
    const moved = this.files.get(component)
    const file = moved?.file ?? componentModelPath(this.folder.dir, component)
    const label = moved?.label ?? `${component}/model.onnx`
    let created
    try {
      created = await createSessionWithFallback(
        file,
        this.providers,
        this.settings,
        this.failedProviders,
        await this.upcastIfAsked(component, file)
      )
    } catch (error) {
      throw new ModelLoadError(file, `${label} could not be loaded: ${(error as Error).message}`, {
        cause: error
      })
    }
    if (created.failures.length > 0) {
      const tried = created.failures.map((f) => `${f.provider} (${f.message})`).join('; ')
      this.fallbacks.set(component, `${created.provider}: ${tried} could not be used`)
    }
    return new OnnxModel(created.session, file, label, created.provider)
  }
}
