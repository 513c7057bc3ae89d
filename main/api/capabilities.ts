import * as ort from 'onnxruntime-node'
import type { Capabilities, ExecutionProviderInfo } from '../../shared/contract'
import { autoExecutionProviders, providerAvailability } from '../engine'

/**
 * What this onnxruntime-node install offers, from the engine's detection (compiled-in backends,
 * and CUDA only when its optional libraries are installed), with the reason for each provider
 * that is not available. Listing creates no session, so it is instant and loads no GPU library
 * into this process.
 */
export function detectExecutionProviders(): ExecutionProviderInfo[] {
  return providerAvailability().map((a) => ({
    name: a.name,
    available: a.available,
    ...(a.reason === null ? {} : { reason: a.reason })
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
    autoProviders: autoExecutionProviders(),
    platform: process.platform,
    arch: process.arch,
    mode
  }
}
