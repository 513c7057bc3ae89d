import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openModelFolder } from './model-folder'
import { countStrideTwoConvs } from './size-multiple'

const ROOT = path.resolve(__dirname, '../../..')
const SHIPPED = path.join(ROOT, 'resources/models/stepwise-shapes-64')
const FIXTURES = path.join(ROOT, 'fixtures/models')

describe('a model’s size multiple (issue 13: 72 px crashed in onnxruntime’s Concat)', () => {
  it('is the VAE factor times 2 per UNet down-sampling, from the config', async () => {
    // The shipped UNet has two down blocks: it halves the 8× latents once, so 16 px.
    expect((await openModelFolder(SHIPPED)).sizeMultiple).toBe(16)
    expect((await openModelFolder(path.join(FIXTURES, 'tiny-sdxl-random'))).sizeMultiple).toBe(16)
  })

  it('comes from the graph’s stride-2 convolutions when the folder has no UNet config', async () => {
    const legacy = path.join(FIXTURES, 'tiny-sd-legacy')
    expect(await countStrideTwoConvs(path.join(legacy, 'unet', 'model.onnx'))).toBe(1)
    expect(await countStrideTwoConvs(path.join(SHIPPED, 'unet', 'model.onnx'))).toBe(1)
    expect((await openModelFolder(legacy)).sizeMultiple).toBe(16)
  })
})
