import { describe, expect, it } from 'vitest'
import {
  SD3CFGCutoffCallback,
  SDCFGCutoffCallback,
  SDXLCFGCutoffCallback
} from './cfg-cutoff-callbacks'
import { LiveCfgCutoffCallback } from './live-cfg-cutoff-callback'
import { MultiPipelineCallbacks } from './multi-pipeline-callbacks'
import { cutoffStepFor, PipelineCallback, type PipelineCallbackOptions } from './pipeline-callback'
import { PreviewCallback } from './preview-callback'
import { StopCallback } from './stop-callback'

const BOTH_OR_NONE =
  'pass exactly one of cutoffStepRatio and cutoffStepIndex (cutoffStepRatio defaults to 1.0: pass cutoffStepRatio: null with cutoffStepIndex)'
const RATIO = /^cutoffStepRatio must be a number from 0 to 1, but is /

describe('PipelineCallback constructor validation', () => {
  const cases: [string, PipelineCallbackOptions | undefined, string | RegExp | null][] = [
    ['X()', undefined, null],
    ['X(cutoff_step_ratio=0.4)', { cutoffStepRatio: 0.4 }, null],
    [
      'X(cutoff_step_index=10) — the default ratio 1.0 still counts',
      { cutoffStepIndex: 10 },
      BOTH_OR_NONE
    ],
    [
      'X(cutoff_step_ratio=None, cutoff_step_index=10)',
      { cutoffStepRatio: null, cutoffStepIndex: 10 },
      null
    ],
    ['X(cutoff_step_ratio=None)', { cutoffStepRatio: null }, BOTH_OR_NONE],
    ['X(cutoff_step_ratio=1.5)', { cutoffStepRatio: 1.5 }, RATIO],
    ['X(cutoff_step_ratio=-0.1)', { cutoffStepRatio: -0.1 }, RATIO],
    ['X(cutoff_step_ratio=NaN)', { cutoffStepRatio: Number.NaN }, RATIO],
    ['X(cutoff_step_ratio=Infinity)', { cutoffStepRatio: Number.POSITIVE_INFINITY }, RATIO],
    ['X(cutoff_step_ratio="0.4")', { cutoffStepRatio: '0.4' as unknown as number }, RATIO],
    ['X(cutoff_step_ratio=0.0)', { cutoffStepRatio: 0 }, null],
    ['X(cutoff_step_ratio=1) — integer-typed 1 is 1.0 in JavaScript', { cutoffStepRatio: 1 }, null],
    [
      'X(cutoff_step_ratio=0.5, cutoff_step_index=3)',
      { cutoffStepRatio: 0.5, cutoffStepIndex: 3 },
      BOTH_OR_NONE
    ],
    [
      'X(cutoff_step_ratio=None, cutoff_step_index=-1) — never validated',
      { cutoffStepRatio: null, cutoffStepIndex: -1 },
      null
    ]
  ]
  it.each(cases)('%s', (_label, options, error) => {
    const make = (): SDCFGCutoffCallback => new SDCFGCutoffCallback(options)
    if (error === null) expect(make).not.toThrow()
    else expect(make).toThrow(error)
  })

  it('keeps the arguments under diffusers config keys', () => {
    expect(new SDXLCFGCutoffCallback({ cutoffStepRatio: 0.4 }).config).toEqual({
      cutoff_step_ratio: 0.4,
      cutoff_step_index: null
    })
    expect(new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 10 }).config).toEqual({
      cutoff_step_ratio: null,
      cutoff_step_index: 10
    })
    expect(Object.isFrozen(new SDCFGCutoffCallback().config)).toBe(true)
  })

  it('reports unimplemented members in the library’s names', () => {
    class Bare extends PipelineCallback {}
    const bare = new Bare()
    expect(() => bare.tensorInputs).toThrow(
      'Bare must override tensorInputs (the tensor names its callbackFn reads or writes)'
    )
    expect(() => bare.callbackFn(undefined as never, 0, 0, {})).toThrow(
      'Bare must override callbackFn'
    )
    expect(() => new SDCFGCutoffCallback({ cutoffStepRatio: 1.5 })).toThrow(
      'cutoffStepRatio must be a number from 0 to 1, but is 1.5'
    )
  })
})

describe('cutoff step arithmetic: int(T * ratio)', () => {
  const vectors: [number, number, number][] = [
    [25, 0.4, 10],
    [50, 0.4, 20],
    [100, 0.29, 28],
    [50, 0.57, 28],
    [10, 0.7, 7],
    [28, 0.3, 8],
    [7, 0.1, 0],
    [1, 0.4, 0],
    [50, 1.0, 50],
    [50, 0.0, 0]
  ]
  it.each(vectors)('T=%i, ratio=%f → %i', (T, ratio, expected) => {
    expect(cutoffStepFor(new SDCFGCutoffCallback({ cutoffStepRatio: ratio }).config, T)).toBe(
      expected
    )
  })
  it('uses the index when given', () => {
    const config = new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 10 }).config
    expect(cutoffStepFor(config, 50)).toBe(10)
  })
})

describe('tensor inputs', () => {
  it('lists each callback’s names and concatenates them in MultiPipelineCallbacks', () => {
    expect(new SDCFGCutoffCallback().tensorInputs).toEqual(['prompt_embeds'])
    expect(new SDXLCFGCutoffCallback().tensorInputs).toEqual([
      'prompt_embeds',
      'add_text_embeds',
      'add_time_ids'
    ])
    expect(new SD3CFGCutoffCallback().tensorInputs).toEqual([
      'prompt_embeds',
      'pooled_prompt_embeds'
    ])
    const multi = new MultiPipelineCallbacks([
      new SDCFGCutoffCallback(),
      new PreviewCallback({ onPreview: () => undefined }),
      new StopCallback(),
      new SDCFGCutoffCallback()
    ])
    expect(multi.tensorInputs).toEqual(['prompt_embeds', 'latents', 'prompt_embeds'])
    expect(new MultiPipelineCallbacks([]).tensorInputs).toEqual([])
  })
})

describe('Stepwise callbacks: construction and settings', () => {
  it('StopCallback takes a non-negative step index', () => {
    expect(new StopCallback({ stopAtStepIndex: 10 }).config).toEqual({
      cutoff_step_ratio: null,
      cutoff_step_index: 10
    })
    expect(() => new StopCallback({ stopAtStepIndex: -1 })).toThrow(
      'stopAtStepIndex must be a non-negative integer step index, got -1'
    )
  })

  it('LiveCfgCutoffCallback validates and reports changes before the run', () => {
    const live = new LiveCfgCutoffCallback({ family: 'sdxl', cutoff: { ratio: 0.4 } })
    expect(live.tensorInputs).toEqual(['prompt_embeds', 'add_text_embeds', 'add_time_ids'])
    expect(live.report()).toEqual({ cutoff: { ratio: 0.4 }, cutoffStep: null, locked: false })
    expect(live.set({ stepIndex: 3 })).toEqual({
      cutoff: { stepIndex: 3 },
      cutoffStep: 3,
      locked: false
    })
    expect(live.set(null)).toEqual({ cutoff: null, cutoffStep: null, locked: false })
    expect(() => live.set({ ratio: 1.2 })).toThrow(RATIO)
    expect(() => live.set({ stepIndex: 1.5 })).toThrow(
      'the cutoff step index must be a non-negative integer, got 1.5'
    )
    expect(() => new LiveCfgCutoffCallback({ family: 'sd3' as 'sd' })).toThrow(
      "family must be 'sd' or 'sdxl'"
    )
  })

  it('PreviewCallback validates its interval and picks steps', () => {
    expect(() => new PreviewCallback({ onPreview: () => undefined, every: 0 })).toThrow(
      'every must be a positive integer, got 0'
    )
    const p = new PreviewCallback({ onPreview: () => undefined, every: 3 })
    expect([0, 1, 2, 3, 4, 5, 6].filter((i) => p.wantsStep(i, 7))).toEqual([0, 3, 6])
    expect([0, 1, 2, 3, 4].filter((i) => p.wantsStep(i, 5))).toEqual([0, 3, 4])
  })
})
