import { ModelLoadError } from './model-load-error'

/** Element types the engine can feed and read. */
export type SupportedDtype = 'float32' | 'float16' | 'int32' | 'int64'

/** One input or output of a graph as its metadata declares it. */
export interface TensorIo {
  name: string
  type: SupportedDtype | string
  /** Numbers are fixed sizes, strings symbolic (dynamic) ones; `[]` is a scalar (or unknown). */
  shape: readonly (number | string)[]
}

const FLOAT_TYPES: readonly string[] = ['float32', 'float16']

/**
 * The declared inputs and outputs of one ONNX graph, with the load-time checks the engine's
 * validators use (unet-io.ts, text-encoder-io.ts, vae-decoder-io.ts). It comes either from a
 * live session ({@link import('./onnx-model').OnnxModel}) or from the file's header
 * ({@link import('./check-model-folder').checkModelFolder}), so a folder is judged by the same
 * rules, with the same messages, whether or not its weights are loaded.
 */
export class GraphSignature {
  /** e.g. `unet/model.onnx`, for messages. */
  readonly label: string
  readonly path: string
  readonly inputs: ReadonlyMap<string, TensorIo>
  readonly outputs: ReadonlyMap<string, TensorIo>

  constructor(
    path: string,
    label: string,
    inputs: readonly TensorIo[],
    outputs: readonly TensorIo[]
  ) {
    this.path = path
    this.label = label
    this.inputs = new Map(inputs.map((io) => [io.name, io]))
    this.outputs = new Map(outputs.map((io) => [io.name, io]))
  }

  /** Input names in graph order. */
  get inputNames(): string[] {
    return [...this.inputs.keys()]
  }

  /** Output names in graph order. */
  get outputNames(): string[] {
    return [...this.outputs.keys()]
  }

  /** The declared input, or a load error naming the graph and what it does have. */
  input(name: string): TensorIo {
    const io = this.inputs.get(name)
    if (io === undefined) {
      throw new ModelLoadError(
        this.path,
        `${this.label} has no input named "${name}" (its inputs: ${this.inputNames.join(', ')})`
      )
    }
    return io
  }

  /** The size of axis 0 of an input when the graph fixes it, else null (dynamic). */
  fixedBatch(name: string): number | null {
    const d = this.input(name).shape[0]
    return typeof d === 'number' && d > 0 ? d : null
  }

  /** Load-time check that an input has one of the allowed element types. */
  requireInputType(name: string, allowed: readonly SupportedDtype[]): void {
    const io = this.input(name)
    if (!allowed.includes(io.type as SupportedDtype)) {
      throw new ModelLoadError(
        this.path,
        `${this.label} input "${name}" has type ${io.type}, which Stepwise cannot feed (supported: ${allowed.join(', ')})`
      )
    }
  }

  /** Load-time check that an output is a float tensor the engine can read. */
  requireFloatOutput(name: string): void {
    const io = this.outputs.get(name)
    if (io === undefined) {
      throw new ModelLoadError(
        this.path,
        `${this.label} has no output named "${name}" (its outputs: ${this.outputNames.join(', ')})`
      )
    }
    if (!FLOAT_TYPES.includes(io.type)) {
      throw new ModelLoadError(
        this.path,
        `${this.label} output "${name}" has type ${io.type}, which Stepwise cannot read (supported: float32, float16)`
      )
    }
  }
}
