import { z } from 'zod'
import type { OperationName } from './channels'

/**
 * The one typed API between the renderer and the main process. Main implements it once; the
 * Electron preload and the browser-mode WebSocket client both carry it. Every argument coming
 * from a renderer is validated against {@link operationArgs} before main uses it.
 */

/** An onnxruntime execution provider and whether this build/machine offers it. */
export interface ExecutionProviderInfo {
  name: string
  available: boolean
}

/** What this installation can do. */
export interface Capabilities {
  appVersion: string
  onnxruntimeVersion: string
  executionProviders: ExecutionProviderInfo[]
  platform: string
  arch: string
  /** Which front end is talking to main. */
  mode: 'electron' | 'browser'
}

/** The operations; each returns a promise because each crosses a process boundary. */
export interface StepwiseOperations {
  getCapabilities(): Promise<Capabilities>
}

/** The API as a renderer sees it. */
export type StepwiseApi = StepwiseOperations

/** Argument schemas per operation, applied in main before any handler runs. */
export const operationArgs = {
  getCapabilities: z.tuple([])
} satisfies Record<OperationName, z.ZodType<unknown[]>>
