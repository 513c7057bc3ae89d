import os from 'node:os'
import { InferenceSession } from 'onnxruntime-node'

/** Execution providers the engine can ask onnxruntime for. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const

/** An onnxruntime execution provider name. */
export type ExecutionProviderName = (typeof EXECUTION_PROVIDERS)[number]

/** Tuning knobs for the sessions; everything has a deliberate default (see {@link sessionOptionsFor}). */
export interface SessionSettings {
  /** Providers to try, in order; CPU is always the last resort. Default `['cpu']`. */
  executionProviders?: readonly (ExecutionProviderName | 'auto')[]
  /** Threads inside one operator (matrix products, convolutions). */
  intraOpNumThreads?: number
}

/**
 * The provider order `'auto'` stands for on this platform: the GPU backend the platform's
 * onnxruntime-node build can carry, then CPU. (CUDA needs the optional CUDA install of
 * onnxruntime-node; when it is absent the attempt fails fast and CPU is used, with a warning.)
 */
export function autoExecutionProviders(
  platform: NodeJS.Platform = process.platform
): ExecutionProviderName[] {
  if (platform === 'win32') return ['dml', 'cpu']
  if (platform === 'darwin') return ['coreml', 'cpu']
  return ['cuda', 'cpu']
}

/**
 * Validates and expands a provider list: `'auto'` becomes {@link autoExecutionProviders},
 * duplicates are dropped, and `'cpu'` is appended as the fallback.
 */
export function resolveExecutionProviders(
  requested: readonly string[] | undefined
): ExecutionProviderName[] {
  const list = requested === undefined || requested.length === 0 ? ['cpu'] : requested
  const out: ExecutionProviderName[] = []
  for (const name of list) {
    const expanded =
      name === 'auto'
        ? autoExecutionProviders()
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
 * Default intra-op thread count. On more than two cores one core is left free: inference runs
 * in a worker thread of the Electron main process, and the main process and the renderer still
 * have to paint previews and answer the UI between steps. On one or two cores reserving a core
 * would halve throughput, so all are used.
 */
export function defaultIntraOpThreads(cores: number = os.availableParallelism()): number {
  return cores > 2 ? cores - 1 : Math.max(1, cores)
}

/** The session options the engine uses for one provider. */
export function sessionOptionsFor(
  provider: ExecutionProviderName,
  settings: SessionSettings
): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    // Full graph optimisation (constant folding, operator fusion, layout transforms): the graphs
    // are loaded once and run hundreds of times, so the one-off optimisation cost always pays.
    graphOptimizationLevel: 'all',
    intraOpNumThreads: settings.intraOpNumThreads ?? defaultIntraOpThreads(),
    // SD graphs are one dependency chain; the parallel executor would only add thread handoffs.
    executionMode: 'sequential',
    interOpNumThreads: 1,
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
 */
export async function createSessionWithFallback(
  modelPath: string,
  providers: readonly ExecutionProviderName[],
  settings: SessionSettings,
  knownFailures: Map<ExecutionProviderName, string>
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
      const session = await InferenceSession.create(
        modelPath,
        sessionOptionsFor(provider, settings)
      )
      return { session, provider, failures }
    } catch (error) {
      lastError = error
      const message = firstLine((error as Error).message ?? String(error))
      // A CPU failure is about the model file, not the provider: do not remember it.
      if (provider !== 'cpu') knownFailures.set(provider, message)
      failures.push({ provider, message })
    }
  }
  throw lastError ?? new Error(`no execution provider could load ${modelPath}`)
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? text
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
