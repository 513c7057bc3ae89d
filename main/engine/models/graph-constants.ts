import {
  ONNX_DOUBLE,
  ONNX_FLOAT,
  ONNX_FLOAT16,
  tensorValues,
  type OnnxGraphModel,
  type OnnxNode
} from './onnx-graph'

/**
 * Evaluates the small integer and scalar subgraphs that exporters leave around attention: shape
 * vectors of Reshapes (`Concat(Unsqueeze(Gather(Shape(x))), …, heads, Div(…))`) and scale factors
 * (`Div(1, Sqrt(Cast(Slice(Shape(q)))))`). Values are flat lists in which an element may be
 * unknown (null): a batch size read from a runtime shape is unknown, the number of heads next to
 * it is not. Only what is needed is supported; anything else is unknown.
 */

/** A small tensor's flattened values (null where unknown) and whether it holds floats. */
export interface PartialValue {
  values: (number | null)[]
  float: boolean
}

const SUPPORTED_LIMIT = 64

export class GraphConstants {
  private readonly producers: ReadonlyMap<string, OnnxNode>
  private readonly cache = new Map<string, PartialValue | null>()

  /**
   * @param shapeOf partial shapes the caller knows (e.g. the last axis of a query is head_dim),
   * for `Shape` nodes; null when unknown.
   */
  constructor(
    private readonly model: OnnxGraphModel,
    private readonly shapeOf: (tensor: string) => (number | null)[] | null = () => null,
    producers?: ReadonlyMap<string, OnnxNode>
  ) {
    if (producers !== undefined) this.producers = producers
    else {
      const map = new Map<string, OnnxNode>()
      for (const n of model.nodes) for (const o of n.outputs) map.set(o, n)
      this.producers = map
    }
  }

  /** The value of `tensor`, or null when it is not a small computable tensor. */
  value(tensor: string): PartialValue | null {
    if (tensor === '') return null
    if (this.cache.has(tensor)) return this.cache.get(tensor) ?? null
    // Cycles cannot occur in a valid graph, but a broken file must not hang the load.
    this.cache.set(tensor, null)
    const v = this.compute(tensor)
    this.cache.set(tensor, v)
    return v
  }

  /** A single known number (a scalar or a one-element tensor), else null. */
  scalar(tensor: string): number | null {
    const v = this.value(tensor)
    if (v === null || v.values.length !== 1) return null
    return v.values[0] ?? null
  }

  private compute(tensor: string): PartialValue | null {
    const init = this.model.initializers.get(tensor)
    if (init !== undefined) return fromTensor(init.raw)
    const node = this.producers.get(tensor)
    if (node === undefined || node.domain !== '') return null
    const input = (k: number): PartialValue | null => this.value(node.inputs[k] ?? '')
    const attr = node.attributes
    switch (node.opType) {
      case 'Constant': {
        const t = attr.get('value')?.t
        if (t !== undefined) return fromTensor(t)
        const f = attr.get('value_float')?.f
        if (f !== undefined) return { values: [f], float: true }
        const i = attr.get('value_int')?.i
        if (i !== undefined) return { values: [i], float: false }
        const ints = attr.get('value_ints')?.ints
        if (ints !== undefined) return { values: ints, float: false }
        const floats = attr.get('value_floats')?.floats
        if (floats !== undefined) return { values: floats, float: true }
        return null
      }
      case 'Identity':
        return input(0)
      case 'Shape': {
        const shape = this.shapeOf(node.inputs[0] ?? '')
        if (shape === null) return null
        const rank = shape.length
        const start = clampAxis(attr.get('start')?.i ?? 0, rank)
        const end = clampAxis(attr.get('end')?.i ?? rank, rank)
        return { values: shape.slice(start, end), float: false }
      }
      case 'Cast': {
        const v = input(0)
        const to = attr.get('to')?.i
        if (v === null || to === undefined) return null
        const float = to === ONNX_FLOAT || to === ONNX_FLOAT16 || to === ONNX_DOUBLE
        const values = v.values.map((x) =>
          x === null ? null : float ? (to === ONNX_FLOAT ? Math.fround(x) : x) : Math.trunc(x)
        )
        return { values, float }
      }
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Reshape':
      case 'Flatten':
        return input(0)
      case 'Concat': {
        const parts = node.inputs.map((n) => this.value(n))
        if (parts.some((p) => p === null)) return null
        const ok = parts as PartialValue[]
        return { values: ok.flatMap((p) => p.values), float: ok.some((p) => p.float) }
      }
      case 'Gather': {
        const data = input(0)
        const idx = input(1)
        if (idx === null || (attr.get('axis')?.i ?? 0) !== 0) return null
        // A dim read from a runtime shape: unknown, but known to be idx-many elements.
        if (data === null) return { values: idx.values.map(() => null), float: false }
        const values = idx.values.map((i) => {
          if (i === null) return null
          const k = i < 0 ? i + data.values.length : i
          return data.values[k] ?? null
        })
        return { values, float: data.float }
      }
      case 'Slice': {
        const data = input(0)
        if (data === null) return null
        const starts = attr.get('starts')?.ints ?? input(1)?.values
        const ends = attr.get('ends')?.ints ?? input(2)?.values
        const steps = node.inputs[4] !== undefined && node.inputs[4] !== '' ? input(4)?.values : [1]
        const s = starts?.[0]
        const e = ends?.[0]
        if (s == null || e == null || steps?.[0] !== 1) return null
        const n = data.values.length
        const from = clampAxis(s, n)
        const to = clampAxis(e, n)
        return { values: data.values.slice(from, to), float: data.float }
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Pow':
        return binary(node.opType, input(0), input(1))
      case 'Sqrt':
      case 'Reciprocal':
      case 'Neg': {
        const v = input(0)
        if (v === null) return null
        const f = { Sqrt: Math.sqrt, Reciprocal: (x: number) => 1 / x, Neg: (x: number) => -x }[
          node.opType
        ]
        return {
          values: v.values.map((x) => (x === null ? null : Math.fround(f(x)))),
          float: v.float
        }
      }
      default:
        return null
    }
  }
}

function clampAxis(i: number, n: number): number {
  const k = i < 0 ? i + n : i
  return Math.max(0, Math.min(n, k))
}

function fromTensor(bytes: Uint8Array): PartialValue | null {
  const t = tensorValues(bytes, SUPPORTED_LIMIT)
  if (t === null) return null
  const float =
    t.dataType === ONNX_FLOAT || t.dataType === ONNX_FLOAT16 || t.dataType === ONNX_DOUBLE
  return { values: t.values, float }
}

function binary(op: string, a: PartialValue | null, b: PartialValue | null): PartialValue | null {
  if (a === null || b === null) return null
  const n = Math.max(a.values.length, b.values.length)
  if (a.values.length !== n && a.values.length !== 1) return null
  if (b.values.length !== n && b.values.length !== 1) return null
  const float = a.float || b.float
  const values: (number | null)[] = []
  for (let k = 0; k < n; k++) {
    const x = a.values[a.values.length === 1 ? 0 : k] ?? null
    const y = b.values[b.values.length === 1 ? 0 : k] ?? null
    if (x === null || y === null) {
      values.push(null)
      continue
    }
    let r: number
    if (op === 'Add') r = x + y
    else if (op === 'Sub') r = x - y
    else if (op === 'Mul') r = x * y
    else if (op === 'Pow') r = x ** y
    else r = float ? x / y : Math.trunc(x / y)
    values.push(float ? Math.fround(r) : r)
  }
  return { values, float }
}
