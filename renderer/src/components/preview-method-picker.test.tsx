// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelSummary } from '../contract'
import { useAppStore } from '../store/app-store'
import { INITIAL_VALUES, useFormStore } from '../store/form-store'
import { PreviewMethodPicker } from './preview-method-picker'

function model(id: string, decoder: boolean): ModelSummary {
  return {
    id,
    name: id,
    description: '',
    family: 'sd1',
    familyLabel: 'SD 1.x',
    turbo: false,
    pipelineClass: 'StableDiffusionPipeline',
    precision: 'fp32',
    path: `/models/${id}`,
    defaults: {
      numInferenceSteps: 25,
      guidanceScale: 5,
      width: 64,
      height: 64,
      scheduler: 'DDIMScheduler',
      cfg: true,
      sizeMultiple: 16
    },
    sizeBytes: 1,
    builtIn: true,
    source: 'built-in',
    previews: decoder
      ? {
          methods: ['linear', 'tiny', 'vae'],
          defaultMethod: 'tiny',
          decoder: {
            source: 'model',
            label: 'preview_decoder/model.onnx',
            path: `/models/${id}/preview_decoder`
          },
          offer: null
        }
      : {
          methods: ['linear', 'vae'],
          defaultMethod: 'linear',
          decoder: null,
          offer: {
            key: 'taesd',
            name: 'TAESD',
            repo: 'deinferno/taesd-onnx',
            approxDownloadMB: 4.9
          }
        }
  }
}

const shapes = model('shapes', true)
const sd15 = model('sd15', false)
const select = (): HTMLSelectElement => screen.getByTestId('preview-method-select')

beforeEach(() => {
  useAppStore.setState({ models: [shapes, sd15] })
  useFormStore.setState({ values: { ...INITIAL_VALUES, modelId: 'shapes' }, fieldErrors: {} })
})
afterEach(cleanup)

describe('PreviewMethodPicker', () => {
  it("shows the model's default, sends what is picked, and goes back to the default with another model", () => {
    render(<PreviewMethodPicker />)
    expect(select().value).toBe('tiny')
    expect(useFormStore.getState().values.previewMethod).toBe('')

    fireEvent.change(select(), { target: { value: 'vae:5' } })
    expect(useFormStore.getState().values.previewMethod).toBe('vae:5')
    expect(select().value).toBe('vae:5')

    act(() => useFormStore.getState().applyModel(sd15))
    expect(select().value).toBe('linear')
    const tiny = select().querySelector<HTMLOptionElement>('option[value="tiny"]')
    expect(tiny?.disabled).toBe(true)
    expect(tiny?.textContent).toBe('tiny decoder (none for this model)')
  })
})
