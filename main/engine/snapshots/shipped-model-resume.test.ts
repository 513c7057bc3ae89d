import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CFGIntervalCallback,
  EulerAncestralDiscreteScheduler,
  Generator,
  MultiPipelineCallbacks,
  StableDiffusionPipeline,
  StopCallback,
  encodePng,
  parseRunSnapshot,
  serializeRunSnapshot,
  type PipelineOutput,
  type RgbaImage
} from '../index'

/**
 * Stop, keep, continue on the shipped model through the public API, as a user of the app does
 * it: the continued image is the uninterrupted one, byte for byte.
 */
const MODEL_DIR = path.resolve(__dirname, '../../../resources/models/stepwise-shapes-64')
let pipe: StableDiffusionPipeline
beforeAll(async () => {
  pipe = await StableDiffusionPipeline.fromPretrained(MODEL_DIR, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1
  })
})
afterAll(async () => {
  await pipe.release()
})

const prompt = 'a yellow triangle on a purple background'

function png(out: PipelineOutput): Buffer {
  return encodePng((out.images as RgbaImage[])[0] as RgbaImage)
}

describe('the shipped model: stopped at step 12 of 40, saved, continued', () => {
  it.each([
    ['its own scheduler', null],
    ['Euler a, guidance 20–80 %', 'euler-a']
  ] as const)('%s: the same PNG as the uninterrupted run', async (_label, variant) => {
    const configure = (): void => {
      if (variant === 'euler-a') {
        pipe.scheduler = EulerAncestralDiscreteScheduler.fromConfig(pipe.folder.schedulerConfig)
      }
    }
    const interval = (): CFGIntervalCallback | null =>
      variant === 'euler-a'
        ? new CFGIntervalCallback({ startStepRatio: 0.2, endStepRatio: 0.8 })
        : null
    const common = { prompt, numInferenceSteps: 40 }
    configure()
    const whole = await pipe.call({
      ...common,
      generator: new Generator().manualSeed(12),
      callbackOnStepEnd: interval()
    })
    configure()
    const guidance = interval()
    const stop = new StopCallback({ stopAtStepIndex: 11 })
    const stopped = await pipe.call({
      ...common,
      generator: new Generator().manualSeed(12),
      callbackOnStepEnd: new MultiPipelineCallbacks(guidance === null ? [stop] : [guidance, stop])
    })
    expect(stopped.stepsRun).toBe(12)
    const file = serializeRunSnapshot(stopped.snapshot as NonNullable<typeof stopped.snapshot>)
    const continued = await pipe.call({
      resumeFrom: parseRunSnapshot(file),
      callbackOnStepEnd: interval()
    })
    expect(continued.stepsRun).toBe(whole.stepsRun)
    expect(png(continued).equals(png(whole))).toBe(true)
    expect(png(stopped).equals(png(whole))).toBe(false)
  })
})
