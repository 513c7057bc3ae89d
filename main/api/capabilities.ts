import * as ort from 'onnxruntime-node'
import type { Capabilities, ExecutionProviderInfo } from '../../shared/contract'
import { autoExecutionProviders, providerAvailability } from '../engine'
import type { ProviderAvailability } from '../engine'

/** What the WebGPU adapter probe found (main/api/create-api.ts runs it once per start). */
export interface AdapterFinding {
  found: boolean
  reason: string | null
}

/**
 * What this onnxruntime-node install offers, from the engine's detection (compiled-in backends,
 * and CUDA only when its optional libraries are installed), with the reason for each provider
 * that is not available. Listing creates no session, so it is instant and loads no GPU library
 * into this process.
 */
export function detectExecutionProviders(
  webgpu: AdapterFinding | null = null
): ExecutionProviderInfo[] {
  return withAdapter(providerAvailability(), webgpu).map((a) => ({
    name: a.name,
    available: a.available,
    ...(a.reason === null ? {} : { reason: a.reason })
  }))
}

/**
 * The compiled-in availability with what the adapter probe found: onnxruntime-node carries the
 * WebGPU provider on every x64 platform, but it only runs where the GPU driver offers an adapter
 * (a machine without a GPU, or Linux without Vulkan, has none).
 */
export function withAdapter(
  availability: readonly ProviderAvailability[],
  webgpu: AdapterFinding | null
): ProviderAvailability[] {
  return availability.map((a) =>
    a.name === 'webgpu' && a.available && webgpu !== null && !webgpu.found
      ? {
          ...a,
          available: false,
          reason: `no WebGPU adapter on this machine${webgpu.reason === null ? '' : ` (${webgpu.reason})`}`
        }
      : a
  )
}

/** Builds the capabilities answer for the given front end (the caller adds the default model). */
export function readCapabilities(
  appVersion: string,
  mode: Capabilities['mode'],
  webgpu: AdapterFinding | null = null
): Omit<Capabilities, 'defaultModelId'> {
  return {
    appVersion,
    onnxruntimeVersion: ort.env.versions.node ?? ort.env.versions.common,
    executionProviders: detectExecutionProviders(webgpu),
    autoProviders: autoExecutionProviders(
      process.platform,
      withAdapter(providerAvailability(), webgpu)
    ),
    platform: process.platform,
    arch: process.arch,
    mode
  }
}
