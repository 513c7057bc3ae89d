import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { listSupportedBackends } from 'onnxruntime-node'

/**
 * Which execution providers this onnxruntime-node install can offer, found without creating a
 * session. onnxruntime-node compiles each provider in or out per platform (DirectML only on
 * Windows, CoreML only on macOS, CUDA only on Linux x64, WebGPU everywhere but Linux arm64), and
 * `listSupportedBackends()` reports the compiled-in ones with `bundled: false` for those whose
 * native libraries are too large for npm (CUDA): they exist only after the optional install step.
 * Asking onnxruntime for a provider that is not compiled in or not installed fails at session
 * creation (after logging a multi-line native error), so such providers are never tried by
 * `auto`, and an explicit request for one falls back to CPU at once with the reason below.
 */

/** The providers a user can name (besides `auto`), in the order the UI lists them. */
export const PROVIDER_IDS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const

/** A provider name as the engine uses it. */
export type ProviderId = (typeof PROVIDER_IDS)[number]

/** What this install offers for one provider. */
export interface ProviderAvailability {
  name: ProviderId
  /** Compiled into this build and its native libraries present: worth trying. */
  available: boolean
  /** Why it is not available (and how to get it), or a note about an available one; null if none. */
  reason: string | null
}

/** One entry of onnxruntime-node's `listSupportedBackends()`. */
export interface BackendEntry {
  name: string
  bundled: boolean
}

/** Inputs of {@link detectProviderAvailability}; tests pass their own. */
export interface AvailabilityProbe {
  backends: readonly BackendEntry[]
  platform: NodeJS.Platform
  arch: string
  /** Does a file exist beside onnxruntime-node's binding (e.g. the CUDA provider library)? */
  bindingFileExists: (name: string) => boolean
}

/** The command that installs the CUDA provider into onnxruntime-node (needs internet access). */
export const CUDA_INSTALL_COMMAND =
  'ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js'

/** Which platform's onnxruntime-node build carries a provider. */
const BUILT_FOR: Readonly<Record<Exclude<ProviderId, 'cpu'>, string>> = {
  cuda: 'Linux x64',
  dml: 'Windows',
  coreml: 'macOS',
  webgpu: 'Windows, macOS and Linux x64'
}

/** Native libraries the optional install step adds, per provider and platform. */
function installedFiles(name: string, platform: NodeJS.Platform): string[] {
  if (name !== 'cuda') return []
  return platform === 'win32'
    ? ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll']
    : ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']
}

/** The folder holding onnxruntime-node's binding for this platform (outside an asar archive). */
export function onnxruntimeBindingDir(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): string | null {
  try {
    // CommonJS builds (the app, tsx) have __filename; the engine package's ES module build has
    // import.meta.url instead.
    const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url)
    const pkg = req.resolve('onnxruntime-node/package.json')
    // A packaged Electron app unpacks onnxruntime-node next to app.asar: native files live there.
    const root = path.dirname(pkg).replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked')
    return path.join(root, 'bin', 'napi-v6', platform, arch)
  } catch {
    return null
  }
}

/** The real install: onnxruntime-node's own list and its binding folder. */
export function currentAvailabilityProbe(): AvailabilityProbe {
  const dir = onnxruntimeBindingDir()
  return {
    backends: listSupportedBackends(),
    platform: process.platform,
    arch: process.arch,
    bindingFileExists: (name) => dir !== null && existsSync(path.join(dir, name))
  }
}

/** Availability of every provider in {@link PROVIDER_IDS}, for this install (or `probe`). */
export function detectProviderAvailability(
  probe: AvailabilityProbe = currentAvailabilityProbe()
): ProviderAvailability[] {
  const listed = new Map(probe.backends.map((b) => [b.name, b.bundled]))
  return PROVIDER_IDS.map((name): ProviderAvailability => {
    if (name === 'cpu') return { name, available: true, reason: null }
    const bundled = listed.get(name)
    if (bundled === undefined) {
      return {
        name,
        available: false,
        reason: `not in onnxruntime-node's ${probe.platform}/${probe.arch} build (it ships in the ${BUILT_FOR[name]} build)`
      }
    }
    if (bundled) return { name, available: true, reason: null }
    const files = installedFiles(name, probe.platform)
    const missing = files.filter((f) => !probe.bindingFileExists(f))
    if (files.length > 0 && missing.length === 0) {
      return {
        name,
        available: true,
        reason: 'installed separately; also needs the CUDA 12 and cuDNN 9 libraries on this machine'
      }
    }
    return {
      name,
      available: false,
      reason:
        name === 'cuda'
          ? `the CUDA provider is not installed (${missing.join(', ') || 'its libraries are'} missing); install it with \`${CUDA_INSTALL_COMMAND}\` on a machine with internet access, CUDA 12 and cuDNN 9`
          : `onnxruntime-node does not bundle it on ${probe.platform}/${probe.arch}`
    }
  })
}

let cached: ProviderAvailability[] | null = null

/** {@link detectProviderAvailability} for this install, computed once per process. */
export function providerAvailability(): ProviderAvailability[] {
  cached ??= detectProviderAvailability()
  return cached
}
