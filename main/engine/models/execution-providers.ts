import os from 'node:os'
import path from 'node:path'
import { InferenceSession } from 'onnxruntime-node'
import {
  PROVIDER_IDS,
  providerAvailability,
  type ProviderAvailability,
  type ProviderId
} from './provider-availability'

/** Execution providers the engine can ask onnxruntime for. */
export const EXECUTION_PROVIDERS = PROVIDER_IDS

/** An onnxruntime execution provider name. */
export type ExecutionProviderName = ProviderId

/** Tuning knobs for the sessions; everything has a deliberate default (see {@link sessionOptionsFor}). */
export interface SessionSettings {
  /** Providers to try, in order; CPU is always the last resort. Default `['cpu']`. */
  executionProviders?: readonly (ExecutionProviderName | 'auto')[]
  /** Threads inside one operator (matrix products, convolutions). */
  intraOpNumThreads?: number
  /**
   * Fuse attention into onnxruntime's MultiHeadAttention at load for float32 graphs on the CPU
   * (see graph-passes.ts). Default true; false runs every graph as exported.
   */
  fuseAttention?: boolean
  /**
   * A folder where graph-pass check verdicts are kept between runs (a file
   * `graph-pass-checks.json` is written there). Default: none, verdicts last as long as the process.
   */
  graphPassCacheDir?: string
  /**
   * onnxruntime's memory pattern (see {@link sessionOptionsFor}). Default: off on the CPU, on for
   * GPU providers; always off on DirectML.
   */
  enableMemPattern?: boolean
}

/**
 * The GPU providers `'auto'` prefers on each platform, best first: the platform's native GPU API
 * through onnxruntime's most mature provider for it. WebGPU is never chosen automatically: its
 * onnxruntime provider is newer, runs fewer operators on the GPU, and on Linux it needs a Vulkan
 * driver that a failed attempt reports with native warnings; it is there for people who ask.
 */
const AUTO_PREFERENCE: Readonly<
  Partial<Record<NodeJS.Platform, readonly ExecutionProviderName[]>>
> = {
  win32: ['dml'],
  darwin: ['coreml'],
  linux: ['cuda']
}

/**
 * The provider order `'auto'` stands for: the platform's preferred GPU providers that this
 * install actually offers (see provider-availability.ts: a provider that is not compiled in, or
 * CUDA without its optional install, is left out, so it is never tried and never warned about),
 * then CPU.
 */
export function autoExecutionProviders(
  platform: NodeJS.Platform = process.platform,
  availability: readonly ProviderAvailability[] = providerAvailability()
): ExecutionProviderName[] {
  const offered = new Set(availability.filter((a) => a.available).map((a) => a.name))
  const preferred = AUTO_PREFERENCE[platform] ?? []
  return [...preferred.filter((p) => offered.has(p)), 'cpu']
}

/**
 * Validates and expands a provider list: `'auto'` becomes {@link autoExecutionProviders},
 * duplicates are dropped, and `'cpu'` is appended as the fallback.
 */
export function resolveExecutionProviders(
  requested: readonly string[] | undefined,
  platform: NodeJS.Platform = process.platform,
  availability: readonly ProviderAvailability[] = providerAvailability()
): ExecutionProviderName[] {
  const list = requested === undefined || requested.length === 0 ? ['cpu'] : requested
  const out: ExecutionProviderName[] = []
  for (const name of list) {
    const expanded =
      name === 'auto'
        ? autoExecutionProviders(platform, availability)
        : (EXECUTION_PROVIDERS as readonly string[]).includes(name)
          ? [name as ExecutionProviderName]
          : null
    if (expanded === null) {
      throw new Error(
        `unknown execution provider ${JSON.stringify(name)} (allowed: ${EXECUTION_PROVIDERS.join(', ')}, auto)`
      )
    }
    for (const p of expanded) if (!out.includes(p)) out.push(p)
  }
  if (!out.includes('cpu')) out.push('cpu')
  return out
}

/**
 * Default intra-op thread count. On more than two cores one core is left free: while inference
 * runs (in a process of its own, in the app), the main process and the renderer still have to
 * paint previews and answer the UI between steps. On one or two cores reserving a core
 * would halve throughput, so all are used.
 */
export function defaultIntraOpThreads(cores: number = os.availableParallelism()): number {
  return cores > 2 ? cores - 1 : Math.max(1, cores)
}

/**
 * Why each of `providers` cannot be used on this install (not compiled in, or CUDA without its
 * optional libraries), keyed by provider. Sessions treat these as failures already known, so an
 * explicit request for such a provider falls back to CPU at once, with this reason in the
 * warning, instead of letting onnxruntime fail (and print native errors) on every graph.
 */
export function unavailableProviders(
  providers: readonly ExecutionProviderName[],
  availability: readonly ProviderAvailability[] = providerAvailability()
): Map<ExecutionProviderName, string> {
  const out = new Map<ExecutionProviderName, string>()
  for (const p of providers) {
    const a = availability.find((x) => x.name === p)
    if (a !== undefined && !a.available)
      out.set(p, `not available: ${a.reason ?? 'unknown reason'}`)
  }
  return out
}

/** Bit of `coreMlFlags`: compile to an ML Program (float16 support, more operators) instead of a NeuralNetwork. */
const COREML_FLAG_CREATE_MLPROGRAM = 0x010

/** The provider entry handed to onnxruntime, with its provider-specific options. */
function providerConfig(provider: ExecutionProviderName): InferenceSession.ExecutionProviderConfig {
  switch (provider) {
    case 'coreml':
      // The ML Program format runs float16 models natively; the older NeuralNetwork format
      // would cast them or leave many operators to the CPU.
      return { name: 'coreml', coreMlFlags: COREML_FLAG_CREATE_MLPROGRAM }
    case 'cuda':
    case 'dml':
      // The first (default) adapter; a machine with several GPUs uses the one the OS calls 0.
      return { name: provider, deviceId: 0 }
    default:
      return provider
  }
}

/**
 * The session options the engine uses for one provider. Every choice is deliberate; the
 * reasons are below and in docs/execution-providers.md.
 */
export function sessionOptionsFor(
  provider: ExecutionProviderName,
  settings: SessionSettings
): InferenceSession.SessionOptions {
  return {
    executionProviders: [providerConfig(provider)],
    // Full graph optimisation (constant folding, operator fusion, layout transforms): the graphs
    // are loaded once and run hundreds of times, so the one-off optimisation cost always pays.
    graphOptimizationLevel: 'all',
    intraOpNumThreads: settings.intraOpNumThreads ?? defaultIntraOpThreads(),
    // SD graphs are one dependency chain; the parallel executor would only add thread handoffs
    // (and DirectML requires sequential execution).
    executionMode: 'sequential',
    interOpNumThreads: 1,
    // The memory pattern plans all intermediate buffers of a run from the first run's shapes, so
    // later runs of the same shapes allocate nothing. On the CPU it costs more than it saves:
    // measured on a full-size SD 1.5 UNet it raises peak RSS (512² generation 5.74 vs 5.37 GiB
    // fused; exported UNet 9.78 vs 6.58 GiB; bench/README.md, real scale), and issue 18 measured
    // the exported UNet's second run at 16.3 s with it against 9.7 s without. So it is off on
    // the CPU unless asked for, on for GPU providers, and always off on DirectML (unsupported).
    enableMemPattern:
      provider === 'dml' ? false : (settings.enableMemPattern ?? provider !== 'cpu'),
    // The CPU arena keeps freed blocks for the next run instead of returning them to the OS: the
    // UNet runs once per step with the same sizes, so the arena reaches its peak in the first
    // step and is reused afterwards. It is freed with the session (on a model switch).
    enableCpuMemArena: true,
    // Errors only: fusions log harmless warnings that would clutter the CLI's stderr.
    logSeverityLevel: 3,
    extra: {
      session: {
        // onnxruntime's worker threads spin-wait after each operator by default. Between UNet runs
        // the engine does scheduler maths, callbacks and previews in JavaScript, and the UI needs
        // the cores; spinning would burn them for nothing.
        intra_op: { allow_spinning: '0' }
      }
    }
  }
}

/** A session and the provider it was actually created with. */
export interface CreatedSession {
  session: InferenceSession
  provider: ExecutionProviderName
  /** One entry per provider that was tried and failed before `provider` worked. */
  failures: { provider: ExecutionProviderName; message: string }[]
}

/**
 * Creates a session for the model file at `modelPath` (by path, so external weight files such
 * as `model.onnx_data` or `weights.pb` next to it are found), trying `providers` in order.
 * Providers already in `knownFailures` (failed for an earlier component of the same model) are
 * skipped, and new failures are added to it. Throws the last error when even CPU fails.
 *
 * With `modelBytes` (a graph rewritten in memory) the session is created from those bytes, and
 * the model file's folder is named as the external-initializer folder: weights the graph keeps
 * in files beside it are read from there, as for a model loaded by path (onnxruntime would
 * otherwise look in the process's working directory and refuse).
 */
export async function createSessionWithFallback(
  modelPath: string,
  providers: readonly ExecutionProviderName[],
  settings: SessionSettings,
  knownFailures: Map<ExecutionProviderName, string>,
  /** The model's bytes when they differ from the file's (e.g. a float32 upcast of it). */
  modelBytes?: Uint8Array
): Promise<CreatedSession> {
  const create = (options: InferenceSession.SessionOptions): Promise<InferenceSession> =>
    modelBytes === undefined
      ? InferenceSession.create(modelPath, options)
      : InferenceSession.create(
          modelBytes,
          withExternalDataFolder(options, path.dirname(modelPath))
        )
  return tryProviders(modelPath, providers, settings, knownFailures, create)
}

/** `options` with onnxruntime's external-initializer folder set (for sessions made from bytes). */
export function withExternalDataFolder(
  options: InferenceSession.SessionOptions,
  folder: string
): InferenceSession.SessionOptions {
  const extra = (options.extra ?? {}) as { session?: Record<string, unknown> }
  return {
    ...options,
    extra: {
      ...extra,
      session: { ...extra.session, model_external_initializers_file_folder_path: folder }
    }
  }
}

async function tryProviders(
  modelPath: string,
  providers: readonly ExecutionProviderName[],
  settings: SessionSettings,
  knownFailures: Map<ExecutionProviderName, string>,
  create: (options: InferenceSession.SessionOptions) => Promise<InferenceSession>
): Promise<CreatedSession> {
  const failures: CreatedSession['failures'] = []
  let lastError: unknown = null
  for (const provider of providers) {
    const known = knownFailures.get(provider)
    if (known !== undefined) {
      failures.push({ provider, message: known })
      continue
    }
    try {
      const session = await create(sessionOptionsFor(provider, settings))
      return { session, provider, failures }
    } catch (error) {
      lastError = error
      const message = ortErrorSummary((error as Error).message ?? String(error))
      // A CPU failure is about the model file, not the provider: do not remember it.
      if (provider !== 'cpu') knownFailures.set(provider, message)
      failures.push({ provider, message })
    }
  }
  throw lastError ?? new Error(`no execution provider could load ${modelPath}`)
}

/**
 * The first line of an onnxruntime error, without the C++ source location and assertion text
 * that precede the actual reason (`…/webgpu_context.cc:136 … was false. Failed to get a WebGPU
 * adapter: …` becomes `Failed to get a WebGPU adapter: …`).
 */
export function ortErrorSummary(text: string): string {
  let line = text.split('\n').find((l) => l.trim() !== '') ?? text
  const located = /^\S+\.(?:cc|cpp|h):\d+ /.test(line)
  const assertion = line.indexOf(' was false. ')
  if (located && assertion > 0) line = line.slice(assertion + ' was false. '.length)
  else if (located) line = line.replace(/^\S+\.(?:cc|cpp|h):\d+ /, '')
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
