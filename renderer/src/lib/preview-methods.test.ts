import { describe, expect, it } from 'vitest'
import type { ModelSummary } from '../contract'
import {
  describeStepPreview,
  effectivePreviewMethod,
  previewMethodOptions
} from './preview-methods'

function model(previews: ModelSummary['previews']): ModelSummary {
  return { id: 'm', previews } as ModelSummary
}

const withDecoder = model({
  methods: ['linear', 'tiny', 'vae'],
  defaultMethod: 'tiny',
  decoder: { source: 'model', label: 'preview_decoder/model.onnx', path: '/m/preview_decoder' },
  offer: null
})
const without = model({
  methods: ['linear', 'vae'],
  defaultMethod: 'linear',
  decoder: null,
  offer: { key: 'taesd', name: 'TAESD', repo: 'deinferno/taesd-onnx', approxDownloadMB: 4.9 }
})

describe('preview methods in the picker', () => {
  it("uses the model's default until one is picked", () => {
    expect(effectivePreviewMethod(withDecoder, '')).toBe('tiny')
    expect(effectivePreviewMethod(without, '')).toBe('linear')
    expect(effectivePreviewMethod(without, 'vae:5')).toBe('vae:5')
    expect(effectivePreviewMethod(undefined, '')).toBe('linear')
  })

  it('lists every method, tiny only enabled with a decoder, and keeps a picked vae:N', () => {
    expect(previewMethodOptions(withDecoder, '').map((o) => [o.value, o.disabled])).toEqual([
      ['linear', false],
      ['tiny', false],
      ['vae:10', false],
      ['vae:5', false],
      ['vae', false]
    ])
    const options = previewMethodOptions(without, 'vae:3')
    expect(options.map((o) => o.value)).toEqual([
      'linear',
      'tiny',
      'vae:10',
      'vae:5',
      'vae:3',
      'vae'
    ])
    const tiny = options.find((o) => o.value === 'tiny')
    expect(tiny).toMatchObject({ disabled: true, label: 'tiny decoder (none for this model)' })
    expect(tiny?.title).toContain('get TAESD in the Models panel')
    expect(options.find((o) => o.value === 'vae:3')?.label).toBe('vae:3 · VAE every 3 steps')
  })

  it('describes what made a step preview and its cost', () => {
    expect(describeStepPreview('tiny', 3.14)).toBe('tiny · 3.1 ms')
    expect(describeStepPreview('vae', 123.4)).toBe('vae · 123 ms')
    expect(describeStepPreview(undefined)).toBe('none')
  })
})
