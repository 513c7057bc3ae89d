import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDCFGCutoffCallback } from '../callbacks/cfg-cutoff-callbacks'
import { Generator } from '../random/generator'
import { AutoPipelineForText2Image } from './auto-pipeline'
import type { StableDiffusionPipeline } from './stable-diffusion-pipeline'
import { makeBrokenModels, type BrokenModel } from '../../../testing/broken-models'
import { openSd, TEST_SESSION_OPTIONS } from '../testing/pipeline-fixtures'

/**
 * The library door: bad model folders and bad call options get a specific error (what is wrong,
 * what is allowed) before anything runs. Option checks the other pipeline tests already make
 * (diffusers' check_inputs messages, callback return values, tensor names) are not repeated.
 */

let tmp = ''
let broken: BrokenModel[] = []
let pipe: StableDiffusionPipeline

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-bad-input-'))
  broken = await makeBrokenModels(path.join(tmp))
  pipe = await openSd()
})
afterAll(async () => {
  await pipe.release()
  await fs.rm(tmp, { recursive: true, force: true })
})

const base = { prompt: 'a red circle', numInferenceSteps: 2 }

describe('broken model folders (library)', () => {
  it('names what is wrong with each, whether found on opening or on loading the graphs', async () => {
    expect(broken.length).toBeGreaterThanOrEqual(11)
    for (const model of broken) {
      const error = await AutoPipelineForText2Image.fromPretrained(model.dir, TEST_SESSION_OPTIONS)
        .then((p) => p.call({ ...base, generator: new Generator().manualSeed(1) }))
        .then(
          () => null,
          (e: unknown) => e
        )
      expect(error, model.what).toBeInstanceOf(Error)
      expect((error as Error).message, model.what).toMatch(model.error)
    }
    await expect(
      AutoPipelineForText2Image.fromPretrained(path.join(tmp, 'does-not-exist'))
    ).rejects.toThrow(/does-not-exist does not exist or is not a folder/)
  })
})

describe('call options the schema-less library must still refuse', () => {
  it('refuses steps, sizes and guidance that cannot run, saying what is allowed', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ numInferenceSteps: -3 }, 'numInferenceSteps must be a positive integer, but is -3'],
      [{ numInferenceSteps: 2.5 }, 'numInferenceSteps must be a positive integer, but is 2.5'],
      [{ numInferenceSteps: 'ten' }, 'numInferenceSteps must be a positive integer, but is "ten"'],
      [{ guidanceScale: Infinity }, 'guidanceScale must be a finite number, but is Infinity'],
      [{ width: 0 }, 'width must be a positive integer, but is 0'],
      [{ height: 0 }, 'height must be a positive integer, but is 0']
    ]
    for (const [extra, message] of cases) {
      await expect(
        pipe.call({ ...base, ...extra } as never),
        JSON.stringify(extra)
      ).rejects.toThrow(message)
    }
    // Absurdly many steps: the scheduler's own bound (num_train_timesteps), in its words.
    await expect(pipe.call({ ...base, numInferenceSteps: 1e9 })).rejects.toThrow(
      'numInferenceSteps must be an integer from 1 to 1000 (num_train_timesteps) (got 1000000000)'
    )
    expect(() => new Generator().manualSeed(4.2)).toThrow(
      'Generator.manualSeed: seed must be an integer (got 4.2)'
    )
  })

  it('refuses a size too large for memory before creating any session', async () => {
    const fresh = await AutoPipelineForText2Image.fromPretrained(
      pipe.folder.dir,
      TEST_SESSION_OPTIONS
    )
    const phases: string[] = []
    await expect(
      fresh.call({ ...base, width: 2048, height: 2048, onPhase: (p) => phases.push(p) })
    ).rejects.toThrow(
      /^2048×2048 is too large for memory: a run with 2 UNet rows needs an estimated [\d.]+ GiB \(weights [\d.]+ GiB, UNet [\d.]+ GiB, VAE decode [\d.]+ GiB\), over the limit of [\d.]+ GiB \(75% of this machine's [\d.]+ GiB\); choose a smaller width and height$/
    )
    expect(phases).toEqual([]) // nothing loaded, nothing allocated
    expect(await fresh.usedProviders()).toEqual({})
    // A limit of the caller's choosing, and a size under it.
    const limited = await AutoPipelineForText2Image.fromPretrained(pipe.folder.dir, {
      ...TEST_SESSION_OPTIONS,
      memoryLimitBytes: 32 * 2 ** 20
    })
    await expect(limited.call({ ...base, width: 512, height: 512 })).rejects.toThrow(
      /^512×512 is too large for memory: .* over the limit of 0\.03 GiB; choose a smaller/
    )
    const ok = await limited.call({ ...base, width: 64, height: 64, outputType: 'latent' })
    expect(ok.stepsRun).toBe(3) // PNDM: N + 1
    await limited.release()
  })

  it('warns when a callback’s cutoff_step_index is past the end (diffusers lets it never fire)', async () => {
    const out = await pipe.call({
      ...base,
      generator: new Generator().manualSeed(1),
      outputType: 'latent',
      callbackOnStepEnd: new SDCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 3 })
    })
    expect(out.numTimesteps).toBe(3)
    expect(out.steps.every((s) => s.cfg)).toBe(true)
    expect(out.warnings).toContain(
      'SDCFGCutoffCallback: cutoffStepIndex 3 is past the last step index 2, so it never acts'
    )
  })
})
