import type { Tensor } from 'onnxruntime-node'
import type { PromptTextFixing } from '../tokenizer/prompt-text'
import type { LoopTensors } from './denoising-loop'
import type { LoadedModels } from './loaded-models'

/** The family-specific parts of a call, supplied by the SD and SDXL pipelines. */
export interface FamilyHooks {
  /** diffusers' `check_inputs` for this family (size, callback tensor names, prompts, embeddings). */
  checkInputs(args: {
    height: number
    width: number
    tensorInputs: readonly string[]
    /** A continued run keeps its snapshot's conditioning: no prompt is needed. */
    promptsFromSnapshot: boolean
    /** The model's size multiple. */
    sizeMultiple: number
  }): void
  /** Encodes the prompts into the loop's named conditioning tensors (CFG-doubled when on). */
  encode(
    models: LoadedModels,
    args: {
      numImagesPerPrompt: number
      doClassifierFreeGuidance: boolean
      height: number
      width: number
      textFixing: PromptTextFixing | undefined
    }
  ): Promise<{ tensors: LoopTensors; warnings: string[] }>
  /** The UNet's conditioning feeds for the loop's current tensors. */
  unetConditioning(tensors: LoopTensors): Record<string, Tensor>
  /** SDXL's `denoising_end`: trims the timesteps. */
  adjustTimesteps?(
    timesteps: readonly number[],
    numInferenceSteps: number
  ): { timesteps: readonly number[]; numInferenceSteps: number }
  /** Last preparation before the loop (SDXL: `scheduler.setBeginIndex(0)`). */
  beforeLoop?(): void
}
