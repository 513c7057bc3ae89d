import { float16ToFloat32 } from '../tensor/float16'
import {
  decodeMessage,
  encodeMessage,
  fieldText,
  varintList,
  type WireField
} from './protobuf-wire'

/**
 * An ONNX model decoded far enough to rewrite its node list: nodes with their inputs, outputs and
 * attributes, initializers by name (type, dims, where the data is), the graph's inputs and
 * outputs. Everything else — weights above all — stays as views of the original bytes and is
 * written back unchanged by {@link encodeOnnxModel}, so a rewrite never copies or loads weights
 * kept in external files and never inlines them.
 */

/** ONNX TensorProto.DataType values the passes look at. */
export const ONNX_FLOAT = 1
export const ONNX_INT32 = 6
export const ONNX_INT64 = 7
export const ONNX_FLOAT16 = 10
export const ONNX_DOUBLE = 11

/** One attribute of a node, with the value kinds graph passes read. */
export interface OnnxAttribute {
  name: string
  /** AttributeProto.type (1 float, 2 int, 3 string, 4 tensor, 5 graph, 6 floats, 7 ints, 10 graphs…). */
  type: number
  f?: number
  i?: number
  ints?: number[]
  floats?: number[]
  s?: string
  /** A TensorProto's bytes (`t`). */
  t?: Uint8Array
  /** GraphProto bytes (`g`, or each of `graphs`). */
  graphs?: Uint8Array[]
}

/** One node; `raw` is its original encoding, reused when the node is written back unchanged. */
export interface OnnxNode {
  raw: Uint8Array
  name: string
  opType: string
  domain: string
  inputs: string[]
  outputs: string[]
  attributes: Map<string, OnnxAttribute>
}

/** What the passes need of an initializer; its data is only decoded for small tensors. */
export interface OnnxInitializer {
  name: string
  dataType: number
  dims: number[]
  /** The TensorProto's bytes. */
  raw: Uint8Array
  external: boolean
}

/** A decoded model. */
export interface OnnxGraphModel {
  /** ModelProto fields other than the graph. */
  modelFields: WireField[]
  /** GraphProto fields other than nodes. */
  graphFields: WireField[]
  nodes: OnnxNode[]
  initializers: Map<string, OnnxInitializer>
  inputs: { name: string; elemType: number | null }[]
  outputs: string[]
  opsets: { domain: string; version: number }[]
  irVersion: number
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

function fixed32ToFloat(bytes: Uint8Array): number {
  u32[0] = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true)
  return f32[0] as number
}

function signed(v: bigint): number {
  return Number(BigInt.asIntN(64, v))
}

function decodeAttribute(bytes: Uint8Array): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0 }
  for (const f of decodeMessage(bytes)) {
    switch (f.no) {
      case 1:
        a.name = fieldText(f)
        break
      case 20:
        a.type = Number(f.value)
        break
      case 2:
        if (f.wire === 5) a.f = fixed32ToFloat(f.value as Uint8Array)
        break
      case 3:
        if (f.wire === 0) a.i = signed(f.value as bigint)
        break
      case 4:
        a.s = fieldText(f)
        break
      case 5:
        a.t = f.value as Uint8Array
        break
      case 6:
      case 11:
        a.graphs = [...(a.graphs ?? []), f.value as Uint8Array]
        break
      case 7: {
        const out = a.floats ?? []
        const v = f.value as Uint8Array
        if (f.wire === 5) out.push(fixed32ToFloat(v))
        else for (let k = 0; k + 4 <= v.length; k += 4) out.push(fixed32ToFloat(v.subarray(k)))
        a.floats = out
        break
      }
      case 8:
        a.ints = [...(a.ints ?? []), ...varintList(f).map(signed)]
        break
      default:
        break
    }
  }
  return a
}

/** Decodes one NodeProto. */
export function decodeNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = {
    raw: bytes,
    name: '',
    opType: '',
    domain: '',
    inputs: [],
    outputs: [],
    attributes: new Map()
  }
  for (const f of decodeMessage(bytes)) {
    if (f.wire !== 2) continue
    if (f.no === 1) node.inputs.push(fieldText(f))
    else if (f.no === 2) node.outputs.push(fieldText(f))
    else if (f.no === 3) node.name = fieldText(f)
    else if (f.no === 4) node.opType = fieldText(f)
    else if (f.no === 7) node.domain = fieldText(f)
    else if (f.no === 5) {
      const a = decodeAttribute(f.value as Uint8Array)
      node.attributes.set(a.name, a)
    }
  }
  // "ai.onnx" is another spelling of the default domain.
  if (node.domain === 'ai.onnx') node.domain = ''
  return node
}

function decodeInitializer(bytes: Uint8Array): OnnxInitializer {
  const t: OnnxInitializer = { name: '', dataType: 0, dims: [], raw: bytes, external: false }
  for (const f of decodeMessage(bytes)) {
    if (f.no === 1) t.dims.push(...varintList(f).map(signed))
    else if (f.no === 2 && f.wire === 0) t.dataType = Number(f.value)
    else if (f.no === 8) t.name = fieldText(f)
    else if (f.no === 14 && f.wire === 0) t.external = f.value === 1n
  }
  return t
}

function valueInfoType(bytes: Uint8Array): { name: string; elemType: number | null } {
  let name = ''
  let elemType: number | null = null
  for (const f of decodeMessage(bytes)) {
    if (f.no === 1 && f.wire === 2) name = fieldText(f)
    else if (f.no === 2 && f.wire === 2) {
      for (const t of decodeMessage(f.value as Uint8Array)) {
        if (t.no !== 1 || t.wire !== 2) continue
        for (const tt of decodeMessage(t.value as Uint8Array)) {
          if (tt.no === 1 && tt.wire === 0) elemType = Number(tt.value)
        }
      }
    }
  }
  return { name, elemType }
}

/**
 * Decodes a ModelProto (the bytes of an `.onnx` file). Throws on bytes that are not a model.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxGraphModel {
  const modelFields: WireField[] = []
  let graphBytes: Uint8Array | null = null
  const opsets: OnnxGraphModel['opsets'] = []
  let irVersion = 0
  for (const f of decodeMessage(bytes)) {
    if (f.no === 7 && f.wire === 2) {
      graphBytes = f.value as Uint8Array
      continue
    }
    modelFields.push(f)
    if (f.no === 1 && f.wire === 0) irVersion = Number(f.value)
    if (f.no === 8 && f.wire === 2) {
      let domain = ''
      let version = 0
      for (const o of decodeMessage(f.value as Uint8Array)) {
        if (o.no === 1) domain = fieldText(o)
        else if (o.no === 2 && o.wire === 0) version = Number(o.value)
      }
      opsets.push({ domain: domain === 'ai.onnx' ? '' : domain, version })
    }
  }
  if (graphBytes === null || irVersion === 0) throw new Error('not an ONNX model (no graph)')
  const graphFields: WireField[] = []
  const nodes: OnnxNode[] = []
  const initializers = new Map<string, OnnxInitializer>()
  const inputs: OnnxGraphModel['inputs'] = []
  const outputs: string[] = []
  for (const f of decodeMessage(graphBytes)) {
    if (f.no === 1 && f.wire === 2) {
      nodes.push(decodeNode(f.value as Uint8Array))
      continue
    }
    graphFields.push(f)
    if (f.wire !== 2) continue
    if (f.no === 5) {
      const t = decodeInitializer(f.value as Uint8Array)
      initializers.set(t.name, t)
    } else if (f.no === 11) inputs.push(valueInfoType(f.value as Uint8Array))
    else if (f.no === 12) outputs.push(valueInfoType(f.value as Uint8Array).name)
  }
  return {
    modelFields,
    graphFields,
    nodes,
    initializers,
    inputs: inputs.filter((i) => !initializers.has(i.name)),
    outputs,
    opsets,
    irVersion
  }
}

function text(no: number, value: string): WireField {
  return { no, wire: 2, value: new TextEncoder().encode(value) }
}

/** Encodes a new node (for nodes a pass creates). Attribute values: int, float or ints. */
export function encodeNode(node: {
  name: string
  opType: string
  domain: string
  inputs: readonly string[]
  outputs: readonly string[]
  attributes: readonly { name: string; i?: number; f?: number }[]
}): OnnxNode {
  const fields: WireField[] = [
    ...node.inputs.map((n) => text(1, n)),
    ...node.outputs.map((n) => text(2, n)),
    text(3, node.name),
    text(4, node.opType)
  ]
  const attributes = new Map<string, OnnxAttribute>()
  for (const a of node.attributes) {
    const attr: WireField[] = [text(1, a.name)]
    if (a.i !== undefined) {
      attr.push({ no: 3, wire: 0, value: BigInt(a.i) }, { no: 20, wire: 0, value: 2n })
      attributes.set(a.name, { name: a.name, type: 2, i: a.i })
    } else if (a.f !== undefined) {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setFloat32(0, a.f, true)
      attr.push({ no: 2, wire: 5, value: b }, { no: 20, wire: 0, value: 1n })
      attributes.set(a.name, { name: a.name, type: 1, f: Math.fround(a.f) })
    }
    fields.push({ no: 5, wire: 2, value: encodeMessage(attr) })
  }
  if (node.domain !== '') fields.push(text(7, node.domain))
  return {
    raw: encodeMessage(fields),
    name: node.name,
    opType: node.opType,
    domain: node.domain,
    inputs: [...node.inputs],
    outputs: [...node.outputs],
    attributes
  }
}

/**
 * Writes `model` back with `nodes` as its node list, dropping the value_info entries of tensors
 * no node produces any more, and with `extraOpsets` added to the opset imports. Initializers and
 * every other field are the original bytes.
 */
export function encodeOnnxModel(
  model: OnnxGraphModel,
  nodes: readonly OnnxNode[],
  extraOpsets: readonly { domain: string; version: number }[] = []
): Uint8Array {
  const produced = new Set<string>()
  for (const n of nodes) for (const o of n.outputs) produced.add(o)
  for (const i of model.inputs) produced.add(i.name)
  for (const name of model.initializers.keys()) produced.add(name)
  const graphFields: WireField[] = [
    ...nodes.map((n): WireField => ({ no: 1, wire: 2, value: n.raw })),
    ...model.graphFields.filter(
      (f) =>
        !(f.no === 13 && f.wire === 2 && !produced.has(valueInfoType(f.value as Uint8Array).name))
    )
  ]
  const opsetFields: WireField[] = extraOpsets
    .filter((o) => !model.opsets.some((m) => m.domain === o.domain))
    .map((o) => ({
      no: 8,
      wire: 2,
      value: encodeMessage([text(1, o.domain), { no: 2, wire: 0, value: BigInt(o.version) }])
    }))
  return encodeMessage([
    ...model.modelFields,
    ...opsetFields,
    { no: 7, wire: 2, value: encodeMessage(graphFields) }
  ])
}

/**
 * The values of a small TensorProto kept in the model (not external), as numbers; null for
 * external, large (over `limit` elements) or unsupported tensors.
 */
export function tensorValues(
  bytes: Uint8Array,
  limit = 64
): { values: number[]; dims: number[]; dataType: number } | null {
  const fields = decodeMessage(bytes)
  let dataType = 0
  const dims: number[] = []
  let raw: Uint8Array | null = null
  const listed: number[] = []
  for (const f of fields) {
    if (f.no === 1) dims.push(...varintList(f).map(signed))
    else if (f.no === 2 && f.wire === 0) dataType = Number(f.value)
    else if (f.no === 9 && f.wire === 2) raw = f.value as Uint8Array
    else if (f.no === 14 && f.wire === 0 && f.value === 1n) return null
    else if (f.no === 4) {
      // float_data: packed fixed32 or one fixed32.
      const v = f.value as Uint8Array
      if (f.wire === 5) listed.push(fixed32ToFloat(v))
      else for (let k = 0; k + 4 <= v.length; k += 4) listed.push(fixed32ToFloat(v.subarray(k)))
    } else if (f.no === 5 || f.no === 7) listed.push(...varintList(f).map(signed))
    else if (f.no === 10) {
      const v = f.value as Uint8Array
      const view = new DataView(v.buffer, v.byteOffset, v.byteLength)
      for (let k = 0; k + 8 <= v.length; k += 8) listed.push(view.getFloat64(k, true))
    }
  }
  const count = dims.reduce((n, d) => n * d, 1)
  if (count > limit) return null
  if (raw === null) {
    if (dataType === ONNX_FLOAT16) {
      const bits = Uint16Array.from(listed)
      return { values: [...float16ToFloat32(bits)], dims, dataType }
    }
    return listed.length === count ? { values: listed, dims, dataType } : null
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const values: number[] = []
  const size = { 1: 4, 6: 4, 7: 8, 10: 2, 11: 8 }[dataType]
  if (size === undefined || raw.byteLength !== count * size) return null
  for (let k = 0; k < count; k++) {
    const at = k * size
    if (dataType === ONNX_FLOAT) values.push(view.getFloat32(at, true))
    else if (dataType === ONNX_INT32) values.push(view.getInt32(at, true))
    else if (dataType === ONNX_INT64) values.push(Number(view.getBigInt64(at, true)))
    else if (dataType === ONNX_DOUBLE) values.push(view.getFloat64(at, true))
    else values.push(float16ToFloat32(Uint16Array.of(view.getUint16(at, true)))[0] as number)
  }
  return { values, dims, dataType }
}

/**
 * Names a node reads without listing them as inputs: outer-scope tensors used inside its
 * subgraphs (If/Loop/Scan bodies). Liveness must count them.
 */
export function implicitInputs(node: OnnxNode): string[] {
  const out: string[] = []
  for (const a of node.attributes.values()) {
    for (const g of a.graphs ?? []) {
      for (const f of decodeMessage(g)) {
        if (f.no !== 1 || f.wire !== 2) continue
        const inner = decodeNode(f.value as Uint8Array)
        out.push(...inner.inputs, ...implicitInputs(inner))
      }
    }
  }
  return out
}
