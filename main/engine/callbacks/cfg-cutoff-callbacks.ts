import type { CallbackKwargs, PipelineRunState } from './callback-types'
import { keepConditionalHalf } from './keep-conditional-half'
import { cutoffStepFor, PipelineCallback } from './pipeline-callback'

/**
 * The inpainting pipelines' CFG-doubled tensors besides the text conditioning; every cutoff
 * callback halves them when the pipeline has them (diffusers' callbacks do not, and an inpainting
 * run whose guidance ends would then feed a 2B-row mask to B-row latents).
 */
export const IMAGE_CONDITIONING: readonly string[] = ['mask', 'masked_image_latents']

/**
 * Shared body of the CFG cutoff callbacks: at step index `cutoff` (and only there) keep the
 * conditional half of the listed tensors (and of the inpainting mask tensors) and set
 * `_guidanceScale = 0`, so the remaining steps run the UNet on B rows instead of 2B.
 */
abstract class CfgCutoffCallback extends PipelineCallback {
  override get optionalTensorInputs(): readonly string[] {
    return IMAGE_CONDITIONING
  }

  override callbackFn(
    pipeline: PipelineRunState,
    stepIndex: number,
    _timestep: number,
    callbackKwargs: CallbackKwargs
  ): CallbackKwargs {
    if (stepIndex === cutoffStepFor(this.config, pipeline.numTimesteps)) {
      keepConditionalHalf(pipeline, callbackKwargs, [
        ...this.tensorInputs,
        ...this.optionalTensorInputs
      ])
    }
    return callbackKwargs
  }
}

/** diffusers' `SDCFGCutoffCallback` for Stable Diffusion 1.x/2.x pipelines (tensor input `prompt_embeds`). */
export class SDCFGCutoffCallback extends CfgCutoffCallback {
  override get tensorInputs(): readonly string[] {
    return ['prompt_embeds']
  }
}

/**
 * diffusers' `SDXLCFGCutoffCallback` for SDXL pipelines (tensor inputs `prompt_embeds`,
 * `add_text_embeds`, `add_time_ids`).
 */
export class SDXLCFGCutoffCallback extends CfgCutoffCallback {
  override get tensorInputs(): readonly string[] {
    return ['prompt_embeds', 'add_text_embeds', 'add_time_ids']
  }
}

/**
 * diffusers' `SD3CFGCutoffCallback` (tensor inputs `prompt_embeds`, `pooled_prompt_embeds`).
 * Stepwise has no SD3 pipeline yet; on SD/SDXL pipelines it fails input validation, as in diffusers.
 */
export class SD3CFGCutoffCallback extends CfgCutoffCallback {
  override get tensorInputs(): readonly string[] {
    return ['prompt_embeds', 'pooled_prompt_embeds']
  }
}
