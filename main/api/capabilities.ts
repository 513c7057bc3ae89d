import * as ort from 'onnxruntime-node'
import type { Capabilities, ExecutionProviderInfo } from '../../shared/contract'

/** Execution providers Stepwise knows how to ask onnxruntime for, in preference order. */
export const KNOWN_EXECUTION_PROVIDERS = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const

/**
 * Lists what this onnxruntime-node build offers. A backend counts as available when the
 * binding reports it as bundled (shipped in the package) — CUDA is only present after the
 * optional CUDA install step, so it reports as unavailable on a default install.
 */
export function detectExecutionProviders(): ExecutionProviderInfo[] {
  const reported = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]))
  return KNOWN_EXECUTION_PROVIDERS.map((name) => ({
    name,
    available: reported.get(name) === true
  }))
}

/** Builds the capabilities answer for the given front end (the caller adds the default model). */
export function readCapabilities(
  appVersion: string,
  mode: Capabilities['mode']
): Omit<Capabilities, 'defaultModelId'> {
  return {
    appVersion,
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    executionProviders: detectExecutionProviders(),
    platform: process.platform,
    arch: process.arch,
    mode
  }
}
