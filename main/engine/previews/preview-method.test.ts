import { describe, expect, it } from 'vitest'
import {
  checkPreviewMethod,
  formatPreviewMethod,
  parsePreviewMethod,
  previewMethodAtStep,
  type PreviewMethod
} from './preview-method'

describe('parsePreviewMethod', () => {
  it('reads linear, tiny, vae and vae:N (case and spaces ignored) and formats them back', () => {
    const cases: [string, PreviewMethod, string][] = [
      ['linear', { name: 'linear' }, 'linear'],
      [' Tiny ', { name: 'tiny' }, 'tiny'],
      ['vae', { name: 'vae', every: 1 }, 'vae'],
      ['vae:1', { name: 'vae', every: 1 }, 'vae'],
      ['VAE: 5', { name: 'vae', every: 5 }, 'vae:5'],
      ['vae:12', { name: 'vae', every: 12 }, 'vae:12']
    ]
    for (const [text, method, formatted] of cases) {
      expect(parsePreviewMethod(text)).toEqual(method)
      expect(formatPreviewMethod(method)).toBe(formatted)
      expect(parsePreviewMethod(formatted)).toEqual(method)
    }
  })

  it('refuses anything else, quoting the input and saying what is allowed', () => {
    expect(() => parsePreviewMethod('taesd')).toThrow(
      'unknown preview method "taesd": use linear, tiny, vae (the VAE every step) or vae:N (the VAE every N steps)'
    )
    expect(() => parsePreviewMethod('')).toThrow('the preview method is empty: use linear, tiny')
    for (const bad of ['vae:0', 'vae:-2', 'vae:1.5', 'vae:x', 'vae:']) {
      expect(() => parsePreviewMethod(bad)).toThrow(
        `preview method "${bad}": N in vae:N must be a whole number of steps, 1 or more (e.g. vae:5)`
      )
    }
    expect(() => parsePreviewMethod('linear:2')).toThrow('unknown preview method "linear:2"')
  })

  it('checks methods given as objects', () => {
    expect(checkPreviewMethod({ name: 'vae', every: 3 })).toEqual({ name: 'vae', every: 3 })
    expect(() => checkPreviewMethod({ name: 'vae', every: 0 })).toThrow(
      'preview method vae: "every" must be a whole number of steps, 1 or more, got 0'
    )
    expect(() => checkPreviewMethod({ name: 'fast' } as unknown as PreviewMethod)).toThrow(
      'unknown preview method {"name":"fast"}'
    )
  })
})

describe('previewMethodAtStep', () => {
  it('runs the VAE at 0, N, 2N, … and the last step of a vae:N run, linear in between', () => {
    const method: PreviewMethod = { name: 'vae', every: 3 }
    const at = Array.from({ length: 8 }, (_, i) => previewMethodAtStep(method, i, 8))
    expect(at).toEqual(['vae', 'linear', 'linear', 'vae', 'linear', 'linear', 'vae', 'vae'])
    expect(previewMethodAtStep({ name: 'tiny' }, 5, 8)).toBe('tiny')
    expect(previewMethodAtStep({ name: 'vae', every: 1 }, 5, 8)).toBe('vae')
  })
})
