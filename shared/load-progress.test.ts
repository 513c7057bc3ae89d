import { describe, expect, it } from 'vitest'
import { describeLoadProgress } from './load-progress'

describe('describeLoadProgress', () => {
  it('says which component loads, where in the load, and its size', () => {
    expect(
      describeLoadProgress({
        component: 'unet',
        label: 'UNet',
        index: 2,
        total: 4,
        phase: 'start',
        bytes: 3_438_000_000
      })
    ).toBe('Loading UNet (2 of 4, 3.4 GB)…')
  })

  it('says how long a finished component took', () => {
    expect(
      describeLoadProgress({
        component: 'vae_decoder',
        label: 'VAE decoder',
        index: 3,
        total: 3,
        phase: 'done',
        bytes: null,
        ms: 1234
      })
    ).toBe('Loaded VAE decoder (3 of 3) in 1.2 s')
  })
})
