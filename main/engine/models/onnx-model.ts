import { performance } from 'node:perf_hooks'
import { Tensor, type InferenceSession } from 'onnxruntime-node'
import { float16ToFloat32, float32ToFloat16 } from '../tensor/float16'
import { formatDims, numel } from '../tensor/float-tensor'
import type { ExecutionProviderName } from './execution-providers'
import { GraphSignature, type TensorIo } from './graph-signature'

export type { SupportedDtype, TensorIo } from './graph-signature'

/** Outputs of one run, converted to float32, plus the time spent inside `session.run`. */
export interface RunResult {
  outputs: Record<string, Tensor>
  ms: number
}

/**
 * One ONNX graph in an onnxruntime session. Its inputs are described by the session's own
 * metadata, and {@link OnnxModel.run} converts every feed to the element type and rank the graph
 * declares (float32 ↔ float16, ids to int32 or int64, a timestep to a scalar or a 1-element
 * vector), as optimum's ONNX pipelines do, so no exporter's conventions are assumed.
 */
export class OnnxModel extends GraphSignature {
  /** The provider the session was created with. */
  readonly provider: ExecutionProviderName
  private session: InferenceSession | null

  constructor(
    session: InferenceSession,
    path: string,
    label: string,
    provider: ExecutionProviderName
  ) {
    super(
      path,
      label,
      describe(session.inputNames, session.inputMetadata),
      describe(session.outputNames, session.outputMetadata)
    )
    this.session = session
    this.provider = provider
  }

  /**
   * Runs the graph. Each feed is converted to its input's declared type and, for one-element
   * feeds, rank; float16 outputs come back as float32. Only `outputNames` are fetched when given.
   */
  async run(feeds: Record<string, Tensor>, outputNames?: readonly string[]): Promise<RunResult> {
    const session = this.session
    if (session === null) throw new Error(`${this.label} was released`)
    const converted: Record<string, Tensor> = {}
    for (const [name, value] of Object.entries(feeds)) {
      converted[name] = this.castToDeclared(this.input(name), value)
    }
    const start = performance.now()
    const raw =
      outputNames === undefined
        ? await session.run(converted)
        : await session.run(converted, [...outputNames])
    const ms = performance.now() - start
    const outputs: Record<string, Tensor> = {}
    for (const [name, t] of Object.entries(raw)) {
      outputs[name] = toFloat32(t, `${this.label} output "${name}"`)
    }
    return { outputs, ms }
  }

  /** Frees the session. Safe to call twice. */
  async release(): Promise<void> {
    const session = this.session
    this.session = null
    if (session !== null) await session.release()
  }

  private castToDeclared(io: TensorIo, value: Tensor): Tensor {
    let dims = value.dims
    // A one-element feed (the timestep) takes the declared rank: rank 0 stays a scalar, rank 1
    // becomes `[n]` with n the fixed size or 1 (graphs broadcast it over the batch).
    if (numel(dims) === 1 && io.shape.length !== dims.length && io.shape.length <= 1) {
      const fixed = io.shape[0]
      dims = io.shape.length === 0 ? [] : [typeof fixed === 'number' && fixed > 0 ? fixed : 1]
    }
    const count = numel(dims)
    const source = value.data
    if (!(
      source instanceof Float32Array ||
      source instanceof Int32Array ||
      source instanceof BigInt64Array
    )) {
      throw new Error(`${this.label} input "${io.name}": cannot convert ${value.type} data`)
    }
    const at = (i: number): number => Number(source[source.length === 1 ? 0 : i])
    switch (io.type) {
      case 'float32':
        if (source instanceof Float32Array && count === source.length) return reshape(value, dims)
        return new Tensor(
          'float32',
          Float32Array.from({ length: count }, (_, i) => at(i)),
          dims
        )
      case 'float16': {
        const f32 =
          source instanceof Float32Array && count === source.length
            ? source
            : Float32Array.from({ length: count }, (_, i) => at(i))
        return new Tensor('float16', float32ToFloat16(f32), dims)
      }
      case 'int64':
        if (source instanceof BigInt64Array && count === source.length) return reshape(value, dims)
        // Truncation toward zero, as optimum's cast of a fractional Euler timestep to int64.
        return new Tensor(
          'int64',
          BigInt64Array.from({ length: count }, (_, i) => BigInt(Math.trunc(at(i)))),
          dims
        )
      case 'int32':
        if (source instanceof Int32Array && count === source.length) return reshape(value, dims)
        return new Tensor(
          'int32',
          Int32Array.from({ length: count }, (_, i) => Math.trunc(at(i))),
          dims
        )
      default:
        throw new Error(
          `${this.label} input "${io.name}" has type ${io.type}, which Stepwise cannot feed`
        )
    }
  }
}

function reshape(t: Tensor, dims: readonly number[]): Tensor {
  if (dims === t.dims) return t
  return new Tensor(t.type as 'float32', t.data as Float32Array, dims)
}

function toFloat32(t: Tensor, what: string): Tensor {
  if (t.type === 'float32') return t
  if (t.type === 'float16') {
    const data = t.data
    const bits =
      data instanceof Uint16Array
        ? data
        : new Uint16Array((data as ArrayLike<number> & { buffer: ArrayBuffer }).buffer)
    return new Tensor('float32', float16ToFloat32(bits), t.dims)
  }
  throw new Error(
    `${what} has type ${t.type} with shape ${formatDims(t.dims)}; expected a float tensor`
  )
}

function describe(
  names: readonly string[],
  metadata: readonly InferenceSession.ValueMetadata[] | undefined
): TensorIo[] {
  return names.map((name, i) => {
    const md = metadata?.[i]
    if (md !== undefined && md.isTensor) return { name, type: md.type, shape: md.shape }
    return { name, type: md === undefined ? 'unknown' : 'non-tensor', shape: [] }
  })
}
