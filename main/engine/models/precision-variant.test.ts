import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relocateExternalData } from '../testing/onnx-graph-variants'
import { SD_DIR } from '../testing/pipeline-fixtures'
import { checkModelFolder } from './check-model-folder'
import { ComponentSessions } from './component-sessions'
import { openModelFolder } from './model-folder'
import { FP16_VARIANT_FILE, graphFileFor, prefersFloat16 } from './precision-variant'

let tmp = ''
let both = ''

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-variant-'))
  // tiny-sd-random's fp32 graphs, with tiny-sd-fp16's UNet beside its own as model.fp16.onnx
  // (its weights renamed so the two external-data files do not collide).
  both = path.join(tmp, 'both')
  await fs.cp(SD_DIR, both, { recursive: true })
  const half = path.join(path.dirname(SD_DIR), 'tiny-sd-fp16', 'unet')
  await fs.copyFile(path.join(half, 'model.onnx'), path.join(both, 'unet', FP16_VARIANT_FILE))
  await fs.copyFile(
    path.join(half, 'model.onnx_data'),
    path.join(both, 'unet', 'model.fp16.onnx_data')
  )
  await relocateExternalData(path.join(both, 'unet', FP16_VARIANT_FILE), 'model.fp16.onnx_data')
})

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

describe('a folder holding both precisions', () => {
  it('finds the fp16 variant and loads the fp32 graph on the CPU', async () => {
    const folder = await openModelFolder(both)
    expect(folder.fp16Variants).toEqual(['unet'])
    // The folder reads as fp32: that is what the CPU runs.
    expect((await checkModelFolder(both)).precision).toBe('fp32')
    const sessions = new ComponentSessions(folder, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1
    })
    try {
      const unet = await sessions.get('unet')
      expect(unet.input('sample').type).toBe('float32')
    } finally {
      await sessions.release()
    }
  })

  it('gives GPU providers the fp16 graph and the CPU the fp32 one', () => {
    expect(prefersFloat16('cpu')).toBe(false)
    for (const p of ['cuda', 'dml', 'webgpu', 'coreml'] as const)
      expect(prefersFloat16(p)).toBe(true)
    expect(graphFileFor('/m', 'unet', 'webgpu', true)).toEqual({
      file: path.join('/m', 'unet', 'model.fp16.onnx'),
      label: 'unet/model.fp16.onnx'
    })
    expect(graphFileFor('/m', 'unet', 'cpu', true).label).toBe('unet/model.onnx')
    expect(graphFileFor('/m', 'unet', 'cuda', false).label).toBe('unet/model.onnx')
  })

  it('the fp16 variant is a complete float16 graph with its own weights', async () => {
    const { InferenceSession } = await import('onnxruntime-node')
    const s = await InferenceSession.create(graphFileFor(both, 'unet', 'cuda', true).file)
    try {
      const sample = s.inputMetadata.find((m) => m.name === 'sample')
      expect(sample?.isTensor === true ? sample.type : null).toBe('float16')
    } finally {
      await s.release()
    }
  })
})
