import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Generator } from '../../engine'
import { PipelineCache } from './pipeline-cache'

const FIXTURES = path.resolve(__dirname, '../../../fixtures/models')

describe('PipelineCache on a model switch', () => {
  it('loads graphs when a call needs them and releases every session of the previous model', async () => {
    const cache = new PipelineCache()
    const a = await cache.get(path.join(FIXTURES, 'tiny-sd-random'), 'cpu')
    // Opening a model creates no session; the first call loads what it needs.
    expect(await a.pipe.usedProviders()).toEqual({})
    await a.pipe.call({
      prompt: 'a red circle',
      numInferenceSteps: 1,
      generator: new Generator().manualSeed(1)
    })
    expect(Object.keys(await a.pipe.usedProviders())).toEqual([
      'text_encoder',
      'unet',
      'vae_decoder'
    ])
    expect((await cache.loaded()).components).toHaveLength(3)

    const b = await cache.get(path.join(FIXTURES, 'tiny-sd-fp16'), 'cpu')
    expect(b.pipe).not.toBe(a.pipe)
    expect(await a.pipe.usedProviders()).toEqual({})
    expect(await cache.loaded()).toEqual({
      modelDir: path.join(FIXTURES, 'tiny-sd-fp16'),
      provider: 'cpu',
      components: []
    })
    await cache.release()
    expect(await cache.loaded()).toEqual({ modelDir: null, provider: null, components: [] })
  })
})
