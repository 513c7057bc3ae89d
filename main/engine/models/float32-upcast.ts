import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import path from 'node:path'
import { float16ToFloat32 } from '../tensor/float16'
import { ModelLoadError } from './model-load-error'
import {
  decodeMessage,
  encodeMessage,
  fieldText,
  varintList,
  type WireField
} from './protobuf-wire'

/**
 * A float32 copy of a float16 ONNX graph, made in memory: what diffusers' `upcast_vae()` does to
 * a torch VAE (`vae.to(torch.float32)`: the same float16-rounded weights, computed in float32),
 * for a VAE whose config sets `force_upcast` (SDXL's overflows in float16 and decodes to black).
 * Every float16 initializer and constant becomes float32, every `Cast(to=float16)` (and any
 * `dtype` attribute) becomes float32, and every float16 graph input, output and value type
 * becomes float32. Weights kept in external files are read and inlined. The result is a model
 * in a buffer, for `InferenceSession.create(bytes)`; the file on disk is not changed.
 */

// ONNX TensorProto.DataType values.
const FLOAT = 1n
const FLOAT16 = 10n

/** Reads byte ranges of external weight files beside the model. */
class ExternalData {
  private readonly fds = new Map<string, number>()

  constructor(private readonly dir: string) {}

  read(location: string, offset: number, length: number): Uint8Array {
    const file = path.resolve(this.dir, location)
    // A model may only point at files in its own folder (as onnxruntime requires).
    if (path.relative(this.dir, file).startsWith('..')) {
      throw new Error(`external data "${location}" is outside the model's folder`)
    }
    let fd = this.fds.get(file)
    if (fd === undefined) {
      fd = openSync(file, 'r')
      this.fds.set(file, fd)
    }
    const out = new Uint8Array(length)
    const read = readSync(fd, out, 0, length, offset)
    if (read !== length)
      throw new Error(`external data "${location}" ends before ${offset + length}`)
    return out
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd)
    this.fds.clear()
  }
}

function setVarint(fields: WireField[], no: number, value: bigint): WireField[] {
  return fields.map((f) => (f.no === no && f.wire === 0 ? { ...f, value } : f))
}

/** TensorProto: float16 data (raw, int32_data or external) → float32 raw_data. */
function convertTensor(bytes: Uint8Array, external: ExternalData): Uint8Array {
  const fields = decodeMessage(bytes)
  const type = fields.find((f) => f.no === 2 && f.wire === 0)?.value
  if (type !== FLOAT16) return bytes
  let half: Uint16Array
  const raw = fields.find((f) => f.no === 9 && f.wire === 2)
  const isExternal = fields.some((f) => f.no === 14 && f.wire === 0 && f.value === 1n)
  if (isExternal) {
    const entries = new Map<string, string>()
    for (const f of fields.filter((x) => x.no === 13 && x.wire === 2)) {
      const kv = decodeMessage(f.value as Uint8Array)
      entries.set(fieldText(kv.find((x) => x.no === 1)), fieldText(kv.find((x) => x.no === 2)))
    }
    const data = external.read(
      entries.get('location') ?? '',
      Number(entries.get('offset') ?? '0'),
      Number(entries.get('length') ?? '0')
    )
    half = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
  } else if (raw !== undefined) {
    // Copied: the view into the model bytes need not be 2-byte aligned.
    half = new Uint16Array(new Uint8Array(raw.value as Uint8Array).buffer)
  } else {
    half = Uint16Array.from(fields.filter((f) => f.no === 5).flatMap(varintList), (v) => Number(v))
  }
  const f32 = float16ToFloat32(half)
  // Keep dims (1), name (8), doc_string (12); replace type and data.
  const kept = fields.filter((f) => f.no === 1 || f.no === 8 || f.no === 12)
  return encodeMessage([
    ...kept,
    { no: 2, wire: 0, value: FLOAT },
    { no: 9, wire: 2, value: new Uint8Array(f32.buffer) }
  ])
}

/** TypeProto: float16 element types → float32, through sequences, maps and optionals. */
function convertType(bytes: Uint8Array): Uint8Array {
  return encodeMessage(
    decodeMessage(bytes).map((f) => {
      if (f.wire !== 2) return f
      const inner = f.value as Uint8Array
      if (f.no === 1 || f.no === 8) {
        // tensor_type / sparse_tensor_type: elem_type (1).
        const t = decodeMessage(inner).map((x) =>
          x.no === 1 && x.wire === 0 && x.value === FLOAT16 ? { ...x, value: FLOAT } : x
        )
        return { ...f, value: encodeMessage(t) }
      }
      if (f.no === 4 || f.no === 9) {
        // sequence_type / optional_type: elem_type (1) is a TypeProto.
        const t = decodeMessage(inner).map((x) =>
          x.no === 1 && x.wire === 2 ? { ...x, value: convertType(x.value as Uint8Array) } : x
        )
        return { ...f, value: encodeMessage(t) }
      }
      if (f.no === 5) {
        // map_type: value_type (2) is a TypeProto.
        const t = decodeMessage(inner).map((x) =>
          x.no === 2 && x.wire === 2 ? { ...x, value: convertType(x.value as Uint8Array) } : x
        )
        return { ...f, value: encodeMessage(t) }
      }
      return f
    })
  )
}

/** ValueInfoProto: its type (2). */
function convertValueInfo(bytes: Uint8Array): Uint8Array {
  return encodeMessage(
    decodeMessage(bytes).map((f) =>
      f.no === 2 && f.wire === 2 ? { ...f, value: convertType(f.value as Uint8Array) } : f
    )
  )
}

/** AttributeProto: `to`/`dtype` 10 → 1, tensors and subgraphs converted. */
function convertAttribute(bytes: Uint8Array, external: ExternalData): Uint8Array {
  let fields = decodeMessage(bytes)
  const name = fieldText(fields.find((f) => f.no === 1))
  const i = fields.find((f) => f.no === 3 && f.wire === 0)
  if ((name === 'to' || name === 'dtype') && i?.value === FLOAT16)
    fields = setVarint(fields, 3, FLOAT)
  return encodeMessage(
    fields.map((f) => {
      if (f.wire !== 2) return f
      const v = f.value as Uint8Array
      if (f.no === 5 || f.no === 10) return { ...f, value: convertTensor(v, external) }
      if (f.no === 6 || f.no === 11) return { ...f, value: convertGraph(v, external) }
      return f
    })
  )
}

/** NodeProto: its attributes (5). */
function convertNode(bytes: Uint8Array, external: ExternalData): Uint8Array {
  return encodeMessage(
    decodeMessage(bytes).map((f) =>
      f.no === 5 && f.wire === 2
        ? { ...f, value: convertAttribute(f.value as Uint8Array, external) }
        : f
    )
  )
}

/** GraphProto: nodes, initializers, inputs, outputs and value infos. */
function convertGraph(bytes: Uint8Array, external: ExternalData): Uint8Array {
  return encodeMessage(
    decodeMessage(bytes).map((f) => {
      if (f.wire !== 2) return f
      const v = f.value as Uint8Array
      switch (f.no) {
        case 1:
          return { ...f, value: convertNode(v, external) }
        case 5:
          return { ...f, value: convertTensor(v, external) }
        case 11:
        case 12:
        case 13:
          return { ...f, value: convertValueInfo(v) }
        case 15:
          throw new Error('sparse initializers are not supported by the float32 upcast')
        default:
          return f
      }
    })
  )
}

/**
 * Reads the `.onnx` file at `file` and returns a float32 copy of it (see the file comment).
 * Throws a {@link ModelLoadError} naming the file when it cannot be read or converted.
 */
export function upcastFloat16Model(file: string): Uint8Array {
  const external = new ExternalData(path.dirname(file))
  try {
    const bytes = readFileSync(file)
    // A plain Uint8Array view: Buffer's slice() would share memory where a copy is meant.
    const model = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    return encodeMessage(
      decodeMessage(model).map((f) =>
        f.no === 7 && f.wire === 2
          ? { ...f, value: convertGraph(f.value as Uint8Array, external) }
          : f
      )
    )
  } catch (error) {
    throw new ModelLoadError(
      file,
      `${file} could not be converted to float32 for force_upcast decoding: ${(error as Error).message}`,
      { cause: error }
    )
  } finally {
    external.close()
  }
}
