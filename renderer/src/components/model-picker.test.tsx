// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { ModelSummary } from '../../../shared/contract'
import { FP16_ON_CPU_NOTE } from '../../../shared/precision-cost'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { ModelPicker } from './model-picker'

function model(id: string, precision: ModelSummary['precision'], note?: string): ModelSummary {
  return {
    id,
    name: id,
    description: '',
    family: 'sd1',
    familyLabel: 'SD 1.x',
    turbo: false,
    pipelineClass: 'ORTStableDiffusionPipeline',
    precision,
    ...(note === undefined ? {} : { precisionNote: note }),
    path: `/models/${id}`,
    defaults: {
      width: 512,
      height: 512,
      numInferenceSteps: 25,
      guidanceScale: 7.5,
      scheduler: 'PNDMScheduler',
      cfg: true,
      sizeMultiple: 8
    },
    previews: { methods: ['linear', 'vae'], defaultMethod: 'linear', decoder: null, offer: null },
    sizeBytes: 2 ** 31,
    builtIn: false,
    source: 'downloaded'
  }
}

afterEach(cleanup)

describe('ModelPicker', () => {
  it('says what fp16 costs on the CPU where the model is chosen, and nothing for fp32', () => {
    const fp16 = model('sd15-fp16', 'fp16', FP16_ON_CPU_NOTE)
    const fp32 = model('sd15', 'fp32')
    act(() => {
      useAppStore.setState({ models: [fp32, fp16], modelsError: null })
      useFormStore.getState().applyModel(fp16)
    })
    render(<ModelPicker />)
    expect(screen.getByTestId('model-precision-note').textContent).toBe(`${FP16_ON_CPU_NOTE}. `)
    act(() => useFormStore.getState().applyModel(fp32))
    expect(screen.queryByTestId('model-precision-note')).toBeNull()
  })
})
