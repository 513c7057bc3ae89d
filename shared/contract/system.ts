/**
 * What the installation offers and what the inference process holds: the answers of
 * `getCapabilities` and `inferenceStatus`.
 */

/** An onnxruntime execution provider and whether this build/machine offers it. */
export interface ExecutionProviderInfo {
  name: string
  /** Compiled into this onnxruntime-node build with its native libraries present. */
  available: boolean
  /** Why it is not available and how to get it (or a caveat about an available one). */
  reason?: string
}

/** What this installation can do. */
export interface Capabilities {
  appVersion: string
  onnxruntimeVersion: string
  executionProviders: ExecutionProviderInfo[]
  /** What `auto` tries on this machine, in order (always ending with cpu). */
  autoProviders: string[]
  platform: string
  arch: string
  /** Which front end is talking to main. */
  mode: 'electron' | 'browser'
  /** The model a first start opens (null when no model is installed). */
  defaultModelId: string | null
}

/** The inference process's memory and what it holds loaded. */
export interface InferenceStatus {
  /** Whether the inference process runs (it starts with the first job, and after a crash). */
  running: boolean
  /** Resident set size of the process that runs inference, in bytes (null: not running). */
  rssBytes: number | null
  /** The model whose pipeline is loaded (null: none). */
  loadedModelPath: string | null
  /** The provider the loaded pipeline asked for. */
  loadedProvider: string | null
  /** Graphs with a live session and the provider each actually runs on. */
  loadedComponents: { component: string; provider: string }[]
}
