import { describe, expect, it } from 'vitest'
import { GenerateParamsSchema } from './params'
import { describePreviewMethod, parsePreviewMethod } from './preview-method'

describe('the preview method in the parameters', () => {
  it('is optional (the model decides) and normalised to its text form', () => {
    expect(GenerateParamsSchema.parse({ prompt: 'x' }).previewMethod).toBeUndefined()
    expect(
      GenerateParamsSchema.parse({ prompt: 'x', previewMethod: ' VAE : 5 ' }).previewMethod
    ).toBe('vae:5')
    expect(GenerateParamsSchema.parse({ prompt: 'x', previewMethod: 'vae:1' }).previewMethod).toBe(
      'vae'
    )
    expect(GenerateParamsSchema.parse({ prompt: 'x', previewMethod: 'Tiny' }).previewMethod).toBe(
      'tiny'
    )
  })

  it('is refused with the same words the engine and the CLI use', () => {
    const refused = (previewMethod: unknown): string[] => {
      const r = GenerateParamsSchema.safeParse({ prompt: 'x', previewMethod })
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    }
    expect(refused('taesd')).toEqual([
      'previewMethod: unknown preview method "taesd": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
    ])
    expect(refused('vae:0')).toEqual([
      'previewMethod: preview method "vae:0": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5), got "0"'
    ])
    expect(refused(5)).toEqual(['previewMethod: must be text: linear, tiny, vae or vae:N'])
  })

  it('describes each method for people', () => {
    expect(
      ['linear', 'tiny', 'vae', 'vae:5'].map((m) => describePreviewMethod(parsePreviewMethod(m)))
    ).toEqual(['linear (latent colours)', 'tiny decoder', 'VAE every step', 'VAE every 5 steps'])
  })
})
