import type { Tensor } from 'onnxruntime-node'
import type { VaeConfig } from '../models/component-configs'
import type { ComponentSessions } from '../models/component-sessions'
import { componentModelPath, type OnnxComponent } from '../models/model-folder'
import type { OnnxModel } from '../models/onnx-model'
import type { JsonObject } from '../models/read-json'
import { describeVaeDecoder } from '../models/vae-decoder-io'
import { runBatched } from './batched-run'

/**
 * One ONNX graph of a pipeline, as diffusers exposes its modules (`pipe.unet`,
 * `pipe.text_encoder`, `pipe.vae`): the component's `config.json` (read at load time, `{}` in the
 * legacy layout that has none) and its onnxruntime session, created on first use and shared
 * with the pipeline's own calls (so running a component loads nothing twice, and
 * `pipe.release()` frees it too).
 *
 * ```ts
 * pipe.unet.config.in_channels                       // 4
 * const { last_hidden_state } = await pipe.textEncoder.run({ input_ids: ids })
 * ```
 */
export class PipelineComponent {
  constructor(
    /** The component folder: `unet`, `text_encoder`, `text_encoder_2`, `vae_decoder`. */
    readonly name: OnnxComponent,
    /** The component's `config.json`, as diffusers' `module.config`. */
    readonly config: JsonObject,
    protected readonly sessions: ComponentSessions
  ) {}

  /** The graph file. */
  get path(): string {
    return componentModelPath(this.sessions.folder.dir, this.name)
  }

  /** The graph's session (created now if this pipeline has none yet), with its inputs and outputs. */
  load(): Promise<OnnxModel> {
    return this.sessions.get(this.name)
  }

  /**
   * Runs the graph on `feeds` (converted to the types the graph declares: ids to int32/int64,
   * float32 to float16) and returns its outputs as float32 Tensors, all of them or the named ones.
   */
  async run(
    feeds: Record<string, Tensor>,
    outputNames?: readonly string[]
  ): Promise<Record<string, Tensor>> {
    const model = await this.load()
    return (await model.run(feeds, outputNames)).outputs
  }
}

/**
 * The VAE as the pipeline has it: its decoder graph, and diffusers' `vae.config` (for
 * `scaling_factor`, `latents_mean`, …).
 */
export class VaeComponent extends PipelineComponent {
  constructor(
    config: JsonObject,
    sessions: ComponentSessions,
    private readonly vaeConfig: VaeConfig
  ) {
    super('vae_decoder', config, sessions)
  }

  /** The latent scale the pipeline divides by before decoding (`vae.config.scaling_factor`). */
  get scalingFactor(): number {
    return this.vaeConfig.scalingFactor
  }

  /**
   * diffusers' `vae.decode(z).sample`: the decoder's `[B, 3, H, W]` output, in −1 … 1, of latents
   * already unscaled (`latents / scalingFactor`). Graphs exported with a fixed batch run in chunks.
   */
  async decode(z: Tensor): Promise<Tensor> {
    const model = await this.load()
    const io = describeVaeDecoder(model)
    const result = await runBatched(model, { [io.input]: z }, [io.input], io.fixedBatch, [
      io.output
    ])
    return result.outputs[io.output] as Tensor
  }
}
