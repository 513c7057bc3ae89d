import path from 'node:path'
import { listSupportedBackends } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { ComponentSessions } from './component-sessions'
import {
  autoExecutionProviders,
  ortErrorSummary,
  resolveExecutionProviders,
  sessionOptionsFor,
  unavailableProviders
} from './execution-providers'
import { openModelFolder } from './model-folder'
import {
  CUDA_INSTALL_COMMAND,
  detectProviderAvailability,
  onnxruntimeBindingDir,
  providerAvailability,
  type AvailabilityProbe
} from './provider-availability'

const SD = path.resolve(__dirname, '../../../fixtures/models/tiny-sd-random')

/** What onnxruntime-node 1.30 reports on each platform (from its session_options_helper). */
const LINUX_BACKENDS = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false }
]
const WINDOWS_BACKENDS = [
  { name: 'cpu', bundled: true },
  { name: 'dml', bundled: true },
  { name: 'webgpu', bundled: true }
]
const MAC_BACKENDS = [
  { name: 'cpu', bundled: true },
  { name: 'coreml', bundled: true },
  { name: 'webgpu', bundled: true }
]

function probe(
  platform: NodeJS.Platform,
  backends: AvailabilityProbe['backends'],
  files: string[] = []
): AvailabilityProbe {
  return { platform, arch: 'x64', backends, bindingFileExists: (f) => files.includes(f) }
}

const CUDA_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']

describe('provider availability', () => {
  it('on default Linux: CUDA is compiled in but not installed, so it is not available, with the install command', () => {
    const linux = detectProviderAvailability(probe('linux', LINUX_BACKENDS))
    expect(linux.map((a) => [a.name, a.available])).toEqual([
      ['cpu', true],
      ['cuda', false],
      ['dml', false],
      ['coreml', false],
      ['webgpu', true]
    ])
    const cuda = linux.find((a) => a.name === 'cuda')
    expect(cuda?.reason).toContain(CUDA_INSTALL_COMMAND)
    expect(cuda?.reason).toContain('libonnxruntime_providers_cuda.so')
    expect(linux.find((a) => a.name === 'dml')?.reason).toBe(
      "not in onnxruntime-node's linux/x64 build (it ships in the Windows build)"
    )
    // auto must not even try CUDA there: CPU only, so no warning on every run.
    expect(autoExecutionProviders('linux', linux)).toEqual(['cpu'])
  })

  it('on Linux with the CUDA libraries installed: CUDA is available and auto tries it first', () => {
    const linux = detectProviderAvailability(probe('linux', LINUX_BACKENDS, CUDA_FILES))
    expect(linux.find((a) => a.name === 'cuda')).toMatchObject({ available: true })
    expect(autoExecutionProviders('linux', linux)).toEqual(['cuda', 'cpu'])
    expect(resolveExecutionProviders(['auto'], 'linux', linux)).toEqual(['cuda', 'cpu'])
  })

  it('on Windows auto is DirectML then CPU; on macOS CoreML then CPU; WebGPU only when asked for', () => {
    const win = detectProviderAvailability(probe('win32', WINDOWS_BACKENDS))
    expect(autoExecutionProviders('win32', win)).toEqual(['dml', 'cpu'])
    expect(win.find((a) => a.name === 'cuda')?.available).toBe(false)
    const mac = detectProviderAvailability(probe('darwin', MAC_BACKENDS))
    expect(autoExecutionProviders('darwin', mac)).toEqual(['coreml', 'cpu'])
    expect(resolveExecutionProviders(['webgpu'], 'darwin', mac)).toEqual(['webgpu', 'cpu'])
  })

  it('an explicit request for an unavailable provider is a known failure with its reason', () => {
    const linux = detectProviderAvailability(probe('linux', LINUX_BACKENDS))
    const failures = unavailableProviders(['dml', 'cuda', 'webgpu', 'cpu'], linux)
    expect([...failures.keys()]).toEqual(['dml', 'cuda'])
    expect(failures.get('cuda')).toMatch(/^not available: the CUDA provider is not installed/)
  })

  it('matches this install: the detection reads onnxruntime-node itself', () => {
    const reported = new Set(listSupportedBackends().map((b) => b.name))
    for (const a of providerAvailability()) {
      if (a.name !== 'cpu' && !reported.has(a.name)) expect(a.available).toBe(false)
    }
    expect(onnxruntimeBindingDir()).toMatch(/onnxruntime-node[\\/]bin[\\/]napi-v6[\\/]/)
  })

  it('keeps the reason of an onnxruntime error, not its C++ location', () => {
    expect(
      ortErrorSummary(
        '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize() adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\nmore'
      )
    ).toBe('Failed to get a WebGPU adapter: No supported adapters')
    expect(ortErrorSummary('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed')).toBe(
      'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed'
    )
  })

  it('sets session options deliberately, per provider', () => {
    const cpu = sessionOptionsFor('cpu', { intraOpNumThreads: 3 })
    expect(cpu).toMatchObject({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: 3,
      interOpNumThreads: 1,
      // Off on the CPU (bench/README.md, real scale), on for GPU providers, never on DirectML.
      enableMemPattern: false,
      enableCpuMemArena: true
    })
    expect(sessionOptionsFor('cpu', { enableMemPattern: true }).enableMemPattern).toBe(true)
    expect(sessionOptionsFor('cuda', {}).enableMemPattern).toBe(true)
    expect(sessionOptionsFor('dml', { enableMemPattern: true }).enableMemPattern).toBe(false)
    expect(sessionOptionsFor('dml', {})).toMatchObject({
      executionProviders: [{ name: 'dml', deviceId: 0 }],
      enableMemPattern: false
    })
    expect(sessionOptionsFor('coreml', {}).executionProviders).toEqual([
      { name: 'coreml', coreMlFlags: 0x10 }
    ])
  })
})

describe('fallback to CPU', () => {
  const opened: ComponentSessions[] = []
  afterAll(async () => {
    for (const s of opened) await s.release()
  })

  it('runs on CPU with one warning naming why each asked-for provider could not be used', async () => {
    const unavailable = providerAvailability().filter((a) => !a.available)
    const asked = unavailable.map((a) => a.name)
    const s = new ComponentSessions(await openModelFolder(SD), {
      executionProviders: asked,
      intraOpNumThreads: 1
    })
    opened.push(s)
    const unet = await s.get('unet')
    expect(unet.provider).toBe('cpu')
    expect(s.warnings).toHaveLength(1)
    for (const a of unavailable) {
      expect(s.warnings[0]).toContain(`${a.name} (not available: ${a.reason})`)
    }
  })
})
