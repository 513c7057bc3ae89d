/**
 * "Dynamic classifier-free guidance" — the previous revision of the diffusers callback docs
 * (before commit b60faf456b), the hand-written ancestor of SDCFGCutoffCallback.
 *
 * At step index int(num_timesteps · 0.4) the callback keeps the second half of `prompt_embeds`
 * (with CFG on, the batch is [unconditional ; conditional], so that is the conditional half, for
 * any batch size) and sets `_guidance_scale = 0`, so the UNet runs on B rows instead of 2B from
 * the next step on. It asks for `prompt_embeds` through `callbackOnStepEndTensorInputs` and
 * returns the changed kwargs, which the pipeline writes back. The docs' body reads the global
 * `pipeline` instead of its `pipe` argument; the argument is used here.
 */
import { join } from 'node:path'
import type { CallbackKwargs, PipelineOutput, PipelineRunState } from '@stepwise/engine'
import { Generator, StableDiffusionPipeline, chunk, saveImage } from '@stepwise/engine'

function callbackDynamicCfg(
  pipe: PipelineRunState,
  stepIndex: number,
  _timestep: number,
  callbackKwargs: CallbackKwargs
): CallbackKwargs {
  // adjust the batch_size of prompt_embeds according to guidance_scale
  if (stepIndex === Math.trunc(pipe.numTimesteps * 0.4)) {
    let promptEmbeds = callbackKwargs.prompt_embeds
    if (promptEmbeds === null || promptEmbeds === undefined) return callbackKwargs
    promptEmbeds = chunk(promptEmbeds, 2).at(-1) ?? promptEmbeds

    // update guidance_scale and prompt_embeds
    pipe._guidanceScale = 0.0
    callbackKwargs.prompt_embeds = promptEmbeds
  }
  return callbackKwargs
}

/** Runs the example on an SD 1.x model folder and writes `out_custom_cfg.png` into `outDir`. */
export async function dynamicCfgExample(
  modelDir: string,
  outDir: string
): Promise<PipelineOutput<'image'>> {
  const pipeline = await StableDiffusionPipeline.fromPretrained(modelDir, {
    executionProviders: ['cpu']
  })
  const prompt = 'a photo of an astronaut riding a horse on mars'
  const generator = new Generator().manualSeed(1)
  try {
    const out = await pipeline.call({
      prompt,
      generator,
      callbackOnStepEnd: callbackDynamicCfg,
      callbackOnStepEndTensorInputs: ['prompt_embeds']
    })
    const image = out.images[0]
    if (image !== undefined) await saveImage(image, join(outDir, 'out_custom_cfg.png'))
    return out
  } finally {
    await pipeline.release()
  }
}
