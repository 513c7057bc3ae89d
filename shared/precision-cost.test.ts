import { describe, expect, it } from 'vitest'
import { FP16_ON_CPU_NOTE, precisionCostNote } from './precision-cost'

describe('precisionCostNote', () => {
  it('says what fp16 costs on the CPU, how a two-precision folder loads, and nothing for fp32', () => {
    expect(precisionCostNote('fp32')).toBeNull()
    expect(precisionCostNote('fp16')).toBe(FP16_ON_CPU_NOTE)
    expect(precisionCostNote('mixed')).toBe(FP16_ON_CPU_NOTE)
    expect(precisionCostNote('fp32', ['unet', 'vae_decoder'])).toBe(
      'holds fp32 and fp16 graphs (unet, vae_decoder): the CPU loads fp32, a GPU provider fp16, whichever is faster there'
    )
  })
})
