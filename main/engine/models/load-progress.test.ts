import { statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  AutoPipelineForImage2Image,
  AutoPipelineForText2Image,
  Generator,
  PreviewCallback,
  type LoadProgressEvent
} from '../index'
import { TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'

/** Per-component load progress (`onLoadProgress`) on the shipped model. */
const MODEL = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')

function graphSize(component: string): number {
  return statSync(path.join(MODEL, component, 'model.onnx')).size
}

/** `component:phase index/total` for comparing orders. */
function order(events: LoadProgressEvent[]): string[] {
  return events.map((e) => `${e.component}:${e.phase} ${e.index}/${e.total}`)
}

/**
 * A listener that records every event; `failing` makes it throw after recording, as a broken
 * progress display would.
 */
function recorder(failing = false): {
  events: LoadProgressEvent[]
  onLoadProgress: (event: LoadProgressEvent) => void
} {
  const events: LoadProgressEvent[] = []
  return {
    events,
    onLoadProgress: (event) => {
      events.push(event)
      if (failing) throw new Error('a broken progress display')
    }
  }
}

describe('onLoadProgress', () => {
  it('reports each component of a preload in order: start, then done with its time and size', async () => {
    const { events, onLoadProgress } = recorder()
    const pipe = await AutoPipelineForText2Image.fromPretrained(MODEL, {
      ...TEST_SESSION_OPTIONS,
      preload: true,
      onLoadProgress
    })
    try {
      expect(order(events)).toEqual([
        'text_encoder:start 1/3',
        'text_encoder:done 1/3',
        'unet:start 2/3',
        'unet:done 2/3',
        'vae_decoder:start 3/3',
        'vae_decoder:done 3/3'
      ])
      expect(events.map((e) => e.label)).toEqual([
        'text encoder',
        'text encoder',
        'UNet',
        'UNet',
        'VAE decoder',
        'VAE decoder'
      ])
      for (const e of events) expect(e.bytes).toBe(graphSize(e.component))
      for (const e of events.filter((x) => x.phase === 'done')) {
        expect(e.ms).toBeGreaterThan(0)
      }
      for (const e of events.filter((x) => x.phase === 'start')) expect(e.ms).toBeUndefined()
    } finally {
      await pipe.release()
    }
  })

  it('reports the lazy load of a first call, nothing on the next call, and a preview decoder as a load of its own', async () => {
    const { events, onLoadProgress } = recorder()
    const pipe = await AutoPipelineForText2Image.fromPretrained(MODEL, {
      ...TEST_SESSION_OPTIONS,
      onLoadProgress
    })
    try {
      expect(events).toEqual([])
      const call = (previews: boolean): ReturnType<typeof pipe.call> =>
        pipe.call({
          prompt: 'a red circle',
          numInferenceSteps: 2,
          generator: new Generator().manualSeed(1),
          ...(previews
            ? {
                callbackOnStepEnd: new PreviewCallback({
                  method: 'tiny',
                  onPreview: () => undefined
                })
              }
            : {})
        })
      await call(false)
      expect(order(events)).toEqual([
        'text_encoder:start 1/3',
        'text_encoder:done 1/3',
        'unet:start 2/3',
        'unet:done 2/3',
        'vae_decoder:start 3/3',
        'vae_decoder:done 3/3'
      ])
      events.length = 0
      await call(true)
      expect(order(events)).toEqual(['preview_decoder:start 1/1', 'preview_decoder:done 1/1'])
      expect(events[0]?.label).toBe('preview decoder')
      events.length = 0
      await call(true)
      expect(events).toEqual([])
    } finally {
      await pipe.release()
    }
  })

  it('numbers the VAE encoder into an image run’s load, and a listener that throws does not stop it', async () => {
    const { events, onLoadProgress } = recorder(true)
    const pipe = await AutoPipelineForImage2Image.fromPretrained(MODEL, {
      ...TEST_SESSION_OPTIONS,
      preload: true,
      onLoadProgress
    })
    try {
      expect(order(events)).toEqual([
        'text_encoder:start 1/4',
        'text_encoder:done 1/4',
        'unet:start 2/4',
        'unet:done 2/4',
        'vae_decoder:start 3/4',
        'vae_decoder:done 3/4',
        'vae_encoder:start 4/4',
        'vae_encoder:done 4/4'
      ])
    } finally {
      await pipe.release()
    }
  })
})
