import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probeWebGpuAdapter, providerAvailability } from '../engine'
import { InferenceClient } from '../inference/client/inference-client'
import { fixtureModelsDir } from '../../testing/fixture-models'
import { openStepwiseApi } from './create-api'
import type { MainApi } from './create-api'

/**
 * What the app says about this machine must be true of this machine: WebGPU is compiled into
 * onnxruntime-node on x64, but only an adapter makes it usable. The app asks a child process;
 * the answer here is compared with the engine's probe run in this process.
 */
const inference = new InferenceClient()
let api: MainApi

beforeAll(async () => {
  api = await openStepwiseApi({
    appVersion: '0.1.0',
    mode: 'browser',
    dataDir: mkdtempSync(join(tmpdir(), 'stepwise-machine-')),
    modelDirs: [fixtureModelsDir()],
    inference,
    probeWebGpu: () => inference.probeWebGpu()
  })
})
afterAll(async () => {
  await api.close()
})

describe('capabilities', () => {
  it('says WebGPU is available only when an adapter answers (and auto follows)', async () => {
    const built = providerAvailability().find((a) => a.name === 'webgpu')?.available === true
    const caps = await api.getCapabilities()
    const webgpu = caps.executionProviders.find((e) => e.name === 'webgpu')
    if (!built) {
      expect(webgpu?.available).toBe(false)
      return
    }
    const here = await probeWebGpuAdapter()
    expect(webgpu?.available).toBe(here.found)
    if (!here.found) {
      expect(webgpu?.reason).toMatch(/^no WebGPU adapter on this machine/)
      expect(caps.autoProviders).not.toContain('webgpu')
    }
    // Asked once: the second answer comes from the same probe.
    expect((await api.getCapabilities()).executionProviders).toEqual(caps.executionProviders)
  }, 60_000)
})
