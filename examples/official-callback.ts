/**
 * "Official callbacks" — diffusers docs, using-diffusers/callback.md, first example.
 *
 * SDXLCFGCutoffCallback(cutoff_step_ratio=0.4) turns classifier-free guidance off once denoising
 * reaches 40% of the steps: it fires at the end of step index int(0.4 · T) (10 for T = 25), and
 * from the next step on the UNet runs on B rows instead of 2B — the compute the callback saves.
 * Same scheduler (DPM-Solver++ with Karras sigmas), guidance 6.5, 25 steps and prompt as the
 * docs. The docs pass a `generator` they never define; its previous revision seeded a CPU
 * generator with 2628670641, which is used here.
 */
import { join } from 'node:path'
import type { PipelineOutput } from '@stepwise/engine'
import {
  DPMSolverMultistepScheduler,
  Generator,
  SDXLCFGCutoffCallback,
  StableDiffusionXLPipeline,
  saveImage
} from '@stepwise/engine'

/** Runs the example on an SDXL model folder and writes `official_callback.png` into `outDir`. */
export async function officialCallbackExample(
  modelDir: string,
  outDir: string
): Promise<PipelineOutput<'image'> & { guidanceScaleAfterRun: number }> {
  const callback = new SDXLCFGCutoffCallback({ cutoffStepRatio: 0.4 })
  // if using cutoff_step_index:
  // const callback = new SDXLCFGCutoffCallback({ cutoffStepRatio: null, cutoffStepIndex: 10 })

  const pipeline = await StableDiffusionXLPipeline.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  pipeline.scheduler = DPMSolverMultistepScheduler.fromConfig(pipeline.scheduler.config, {
    use_karras_sigmas: true
  })

  const prompt = 'a sports car at the road, best quality, high quality, high detail, 8k resolution'
  const generator = new Generator().manualSeed(2628670641)
  try {
    const output = await pipeline.call({
      prompt,
      negativePrompt: '',
      guidanceScale: 6.5,
      numInferenceSteps: 25,
      generator,
      callbackOnStepEnd: callback
    })
    const image = output.images[0]
    if (image !== undefined) await saveImage(image, join(outDir, 'official_callback.png'))
    // The callback set `_guidanceScale = 0`; the property keeps that value after the run.
    return { ...output, guidanceScaleAfterRun: pipeline.guidanceScale }
  } finally {
    await pipeline.release()
  }
}
