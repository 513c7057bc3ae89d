import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Tensor } from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CallbackKwargs, PipelineRunState } from '../callbacks/callback-types'
import { SDCFGCutoffCallback, SDXLCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { MultiPipelineCallbacks } from '../callbacks/multi-pipeline-callbacks'
import { Generator } from '../random/generator'
import {
  DDIMScheduler,
  DPMSolverMultistepScheduler,
  HeunDiscreteScheduler,
  KDPM2AncestralDiscreteScheduler
} from '../schedulers'
import type { SchedulerClass } from '../schedulers'
import { zerosLike } from '../tensor/float-tensor'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import type { StepRecord } from './pipeline-types'
import { openSd, SD_DIR, values } from '../testing/pipeline-fixtures'

/** Tests ported from diffusers' pipeline and callback tests, on the SD fixture. */
let pipe: StableDiffusionPipeline
let tmp = ''
beforeAll(async () => {
  pipe = await openSd()
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-cb-'))
})
afterAll(async () => {
  await pipe.release()
  await fs.rm(tmp, { recursive: true, force: true })
})

const base = { prompt: 'a red circle on a blue background', numInferenceSteps: 3 }
const seeded = (): Generator => new Generator().manualSeed(0)

describe('callback tensor inputs (diffusers test_callback_inputs)', () => {
  it('passes only the requested subset', async () => {
    const seen: string[][] = []
    await pipe.call({
      ...base,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEndTensorInputs: ['latents'],
      callbackOnStepEnd: (_p, _i, _t, kw) => {
        seen.push(Object.keys(kw))
        return kw
      }
    })
    expect(seen).toEqual([['latents'], ['latents'], ['latents'], ['latents']]) // PNDM: T = N + 1
  })

  it('passes every allowed name when asked, with the CFG-concatenated prompt_embeds', async () => {
    let shapes: Record<string, number[] | null> = {}
    await pipe.call({
      ...base,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEndTensorInputs: [...pipe.callbackTensorInputs],
      callbackOnStepEnd: (_p, _i, _t, kw) => {
        shapes = Object.fromEntries(
          Object.entries(kw).map(([k, v]) => [k, v === null ? null : [...v.dims]])
        )
        return kw
      }
    })
    expect(shapes).toEqual({
      latents: [1, 4, 8, 8],
      prompt_embeds: [2, 77, 32],
      negative_prompt_embeds: [1, 77, 32]
    })
  })

  it('returns all-zero latents when a callback zeroes them at the last step (outputType latent)', async () => {
    const out = await pipe.call({
      ...base,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: (p, i, _t, kw) => {
        if (i === p.numTimesteps - 1) kw.latents = zerosLike(kw.latents as Tensor)
        return kw
      }
    })
    expect(values(out.images).every((v) => v === 0)).toBe(true)
  })
})

describe('callbacks change pipeline state (diffusers test_callback_cfg)', () => {
  it('adding 1 to _guidanceScale every step ends at 2.0 + numTimesteps', async () => {
    const used: number[] = []
    await pipe.call({
      ...base,
      guidanceScale: 2.0,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: (p, _i, _t, kw) => {
        p._guidanceScale += 1.0
        return kw
      },
      onStepEnd: (info) => {
        used.push(info.guidanceScale)
      }
    })
    expect(pipe.numTimesteps).toBe(4)
    expect(pipe.guidanceScale).toBe(2.0 + pipe.numTimesteps)
    expect(used).toEqual([2, 3, 4, 5]) // re-read at every step
  })
})

describe('interrupt (diffusers test_pipeline_interrupt)', () => {
  it('returns the latents a full run showed its callback at the interrupt index', async () => {
    const seenAt: Record<number, number[]> = {}
    await pipe.call({
      ...base,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: (_p, i, _t, kw) => {
        seenAt[i] = values(kw.latents as Tensor)
        return kw
      }
    })
    const steps: StepRecord[] = []
    const out = await pipe.call({
      ...base,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: (p, i, _t, kw) => {
        if (i === 1) p._interrupt = true
        return kw
      },
      onStepEnd: (info) => {
        steps.push(info)
      }
    })
    const got = values(out.images)
    const want = seenAt[1] as number[]
    expect(Math.max(...got.map((v, k) => Math.abs(v - (want[k] as number))))).toBeLessThanOrEqual(
      1e-4
    )
    expect(out.interrupted).toBe(true)
    expect(out.stepsRun).toBe(2)
    expect(steps.map((s) => s.index)).toEqual([0, 1]) // later steps skipped entirely
    expect(pipe.interrupt).toBe(true)
  })

  it('still decodes an image after an interrupt, and the next call resets the flag', async () => {
    const out = await pipe.call({
      ...base,
      generator: seeded(),
      callbackOnStepEnd: (p, _i, _t, kw) => {
        p.interrupt = true
        return kw
      }
    })
    expect(out.stepsRun).toBe(1)
    expect(out.images).toHaveLength(1)
    expect(out.images[0]?.data).toHaveLength(64 * 64 * 4)
    const next = await pipe.call({ ...base, generator: seeded(), outputType: 'latent' })
    expect(next.interrupted).toBe(false)
    expect(next.stepsRun).toBe(4)
  })
})

describe('CFG cutoff', () => {
  it('runs the UNet with 2B rows through the cutoff step and B after; guidance 0 until the next call', async () => {
    const steps: StepRecord[] = []
    await pipe.call({
      ...base,
      numInferenceSteps: 4,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 1 }),
      onStepEnd: (s) => {
        steps.push(s)
      }
    })
    expect(steps.map((s) => [s.unetBatch, s.cfg])).toEqual([
      [2, true],
      [2, true],
      [1, false],
      [1, false],
      [1, false]
    ])
    expect(pipe.guidanceScale).toBe(0)
    const next = await pipe.call({
      ...base,
      numInferenceSteps: 2,
      guidanceScale: 6,
      generator: seeded(),
      outputType: 'latent'
    })
    expect(pipe.guidanceScale).toBe(6)
    expect(next.steps.every((s) => s.unetBatch === 2 && s.cfg)).toBe(true)
  })

  it('fires at int(T · ratio) with T = numTimesteps (PNDM: N + 1)', async () => {
    const out = await pipe.call({
      ...base,
      numInferenceSteps: 9, // T = 10 → int(10 · 0.7) = 7
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: 0.7 })
    })
    expect(out.numTimesteps).toBe(10)
    expect(out.steps.map((s) => s.unetBatch)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1])
  })

  it('rejects a callback made for another pipeline before any model runs', async () => {
    // A folder whose UNet is garbage: if any graph were loaded first, that error would win.
    const broken = path.join(tmp, 'broken-unet')
    await fs.cp(SD_DIR, broken, { recursive: true })
    await fs.writeFile(path.join(broken, 'unet', 'model.onnx'), 'not an onnx graph')
    const brokenPipe = await openSd(broken)
    await expect(
      brokenPipe.call({
        ...base,
        callbackOnStepEnd: new SDXLCFGCutoffCallback({ cutoffStepRatio: 0.4 })
      })
    ).rejects.toThrow(
      'callbackOnStepEndTensorInputs may only name latents, prompt_embeds and negative_prompt_embeds for StableDiffusionPipeline, but it has "add_text_embeds" and "add_time_ids"'
    )
    await expect(brokenPipe.call({ ...base, height: 63, width: 64 })).rejects.toThrow(
      'height must be a multiple of 16 for this model'
    )
    await expect(brokenPipe.call({ ...base })).rejects.toThrow(
      /unet\/model.onnx (could not be loaded|is not a readable ONNX model)/
    )
    await brokenPipe.release()
  })

  it('a PipelineCallback’s tensor inputs replace an explicit list', async () => {
    const seen: string[][] = []
    const spy = new MultiPipelineCallbacks([new SDCFGCutoffCallback()])
    const wrapped = {
      original: spy.call.bind(spy)
    }
    spy.call = async (p: PipelineRunState, i: number, t: number, kw: CallbackKwargs) => {
      seen.push(Object.keys(kw))
      return wrapped.original(p, i, t, kw)
    }
    await pipe.call({
      ...base,
      numInferenceSteps: 1,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: spy,
      callbackOnStepEndTensorInputs: ['latents']
    })
    expect(seen[0]).toEqual(['prompt_embeds'])
  })
})

describe('progress and numTimesteps', () => {
  it('PNDM iterates N + 1 timesteps and advances the progress bar N times', async () => {
    const progress: number[] = []
    const out = await pipe.call({
      ...base,
      numInferenceSteps: 4,
      generator: seeded(),
      outputType: 'latent',
      onStepEnd: (s) => {
        progress.push(s.progress.value)
      }
    })
    expect(out.scheduler).toBe('PNDMScheduler')
    expect([out.numInferenceSteps, out.numTimesteps, out.stepsRun]).toEqual([4, 5, 5])
    expect(progress).toEqual([0, 1, 2, 3, 4])
  })

  it('a first-order scheduler advances it every step', async () => {
    const ddim = await openSd()
    ddim.scheduler = DDIMScheduler.fromConfig(ddim.scheduler.config)
    const progress: number[] = []
    const out = await ddim.call({
      ...base,
      numInferenceSteps: 3,
      generator: seeded(),
      outputType: 'latent',
      onStepEnd: (s) => {
        progress.push(s.progress.value)
      }
    })
    expect(out.numTimesteps).toBe(3)
    expect(progress).toEqual([1, 2, 3])
    await ddim.release()
  })

  it('second-order Heun / KDPM2 run 2·N − 1 timesteps; callbacks count loop iterations', async () => {
    const classes: SchedulerClass[] = [HeunDiscreteScheduler, KDPM2AncestralDiscreteScheduler]
    for (const cls of classes) {
      const second = await openSd()
      second.scheduler = cls.fromConfig(second.scheduler.config)
      const progress: number[] = []
      const calls: [number, number][] = []
      const out = await second.call({
        ...base,
        numInferenceSteps: 3,
        generator: seeded(),
        outputType: 'latent',
        callbackOnStepEnd: (_p, i, t, kw) => {
          calls.push([i, t])
          return kw
        },
        onStepEnd: (s) => {
          progress.push(s.progress.value)
        }
      })
      const timesteps = second.scheduler.timesteps
      expect(timesteps, cls.name).toHaveLength(5)
      expect([out.numInferenceSteps, out.numTimesteps, out.stepsRun], cls.name).toEqual([3, 5, 5])
      // diffusers' loop: i over every timestep; the bar advances every `order` iterations.
      expect(calls, cls.name).toEqual(timesteps.map((t, i) => [i, t]))
      expect(progress, cls.name).toEqual([0, 1, 1, 2, 3])
      expect(values(out.images as Tensor).every(Number.isFinite), cls.name).toBe(true)
      await second.release()
    }
  })

  it('DPM++ 2M SDE draws its noise from the call generator: same seed, same latents', async () => {
    const sde = await openSd()
    const run = async (seed: number): Promise<number[]> => {
      sde.scheduler = DPMSolverMultistepScheduler.fromConfig(sde.scheduler.config, {
        algorithm_type: 'sde-dpmsolver++',
        use_karras_sigmas: true
      })
      const out = await sde.call({
        ...base,
        numInferenceSteps: 4,
        generator: new Generator().manualSeed(seed),
        outputType: 'latent'
      })
      return values(out.images as Tensor)
    }
    const a = await run(5)
    expect(await run(5)).toEqual(a)
    expect(await run(6)).not.toEqual(a)
    await sde.release()
  })
})

describe('callback contract errors', () => {
  it('a non-object return is a clear error', async () => {
    await expect(
      pipe.call({
        ...base,
        generator: seeded(),
        outputType: 'latent',
        callbackOnStepEnd: (() => undefined) as never
      })
    ).rejects.toThrow(
      'callbackOnStepEnd must return the callbackKwargs object, but at step 0 it returned undefined'
    )
  })

  it('a returned non-tensor is a clear error', async () => {
    await expect(
      pipe.call({
        ...base,
        generator: seeded(),
        outputType: 'latent',
        callbackOnStepEnd: (_p, _i, _t, kw) => ({ ...kw, latents: [1, 2, 3] as never })
      })
    ).rejects.toThrow(
      'callbackOnStepEnd returned callbackKwargs.latents at step 0 that is not a float32 Tensor (got an array)'
    )
  })

  it('awaits async callbacks', async () => {
    const order: string[] = []
    await pipe.call({
      ...base,
      numInferenceSteps: 2,
      generator: seeded(),
      outputType: 'latent',
      callbackOnStepEnd: async (_p, i, _t, kw) => {
        await new Promise((r) => setTimeout(r, 5))
        order.push(`callback ${i}`)
        return kw
      },
      onStepEnd: (s) => {
        order.push(`step ${s.index}`)
      }
    })
    expect(order).toEqual(['callback 0', 'step 0', 'callback 1', 'step 1', 'callback 2', 'step 2'])
  })

  it('refuses a second call while one is running on the same pipeline', async () => {
    const first = pipe.call({ ...base, generator: seeded(), outputType: 'latent' })
    await expect(pipe.call({ ...base, generator: seeded() })).rejects.toThrow(
      'this pipeline is already running a call; await it before starting another'
    )
    expect((await first).stepsRun).toBe(4)
  })

  it('a callback that ends CFG without halving prompt_embeds gets an explanation', async () => {
    await expect(
      pipe.call({
        ...base,
        generator: seeded(),
        outputType: 'latent',
        callbackOnStepEnd: (p, _i, _t, kw) => {
          p._guidanceScale = 0
          return kw
        }
      })
    ).rejects.toThrow(
      /inputs disagree on the batch size: sample has 1 rows but encoder_hidden_states has shape \[2, 77, 32\]/
    )
  })
})
