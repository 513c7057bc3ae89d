import { promises as fs } from 'node:fs'
import type { TensorIo } from './graph-signature'
import { ModelLoadError } from './model-load-error'

/**
 * Reads a graph's declared inputs and outputs straight from its `.onnx` protobuf, without
 * creating an onnxruntime session. Checking a model folder this way costs a few reads of the
 * graph file instead of loading gigabytes of weights (an SDXL UNet session takes tens of seconds
 * and its whole size in memory), so a folder can be validated the moment a user adds it.
 *
 * The reader walks the protobuf wire format lazily through a small window over the file and
 * skips every field it does not need (nodes, weights), so weights stored inside the `.onnx` file
 * cost a seek, not a read. Names, element types and shapes come out as onnxruntime's
 * `inputMetadata` reports them, so the engine's validators see the same thing either way.
 */

/** What the header of an `.onnx` file declares. */
export interface OnnxHeader {
  irVersion: number
  /** Operator sets imported; domain '' is the default ONNX domain. */
  opsets: { domain: string; version: number }[]
  /** Graph inputs that must be fed (initializers listed as inputs by IR < 4 files are left out). */
  inputs: TensorIo[]
  outputs: TensorIo[]
}

/** ONNX TensorProto.DataType → onnxruntime-node's type names. */
const ELEMENT_TYPES: Readonly<Record<number, string>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16'
}

const WINDOW = 64 * 1024

/** A read-through window over a file, so that walking small fields costs few reads. */
export class FileWindow {
  private buf = Buffer.alloc(0)
  private start = 0

  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
    private readonly file: string
  ) {}

  /** Makes bytes [pos, pos + n) readable with {@link byte} (n ≤ the window size). */
  async ensure(pos: number, n: number): Promise<void> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return
    const length = Math.min(Math.max(WINDOW, n), this.size - pos)
    if (length < n || pos < 0) throw this.truncated()
    const buf = Buffer.alloc(length)
    const { bytesRead } = await this.handle.read(buf, 0, length, pos)
    this.buf = buf.subarray(0, bytesRead)
    this.start = pos
    if (bytesRead < n) throw this.truncated()
  }

  byte(pos: number): number {
    return this.buf[pos - this.start] as number
  }

  async text(pos: number, n: number): Promise<string> {
    await this.ensure(pos, n)
    return this.buf.toString('utf8', pos - this.start, pos - this.start + n)
  }

  truncated(): ModelLoadError {
    return new ModelLoadError(
      this.file,
      `${this.file} is not a complete ONNX file (it ends in the middle of the model; is the download complete?)`
    )
  }
}

/** One protobuf field: its number, wire type, and where its value sits. */
export interface Field {
  no: number
  wire: number
  /** Varint value (wire 0), else 0. */
  value: bigint
  /** Start and length of a length-delimited value (wire 2). */
  pos: number
  len: number
}

export async function varint(w: FileWindow, pos: number): Promise<[bigint, number]> {
  await w.ensure(pos, Math.min(10, w.size - pos))
  let result = 0n
  let shift = 0n
  for (let p = pos; p < pos + 10; p++) {
    if (p >= w.size) break
    const b = w.byte(p)
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [result, p + 1]
    shift += 7n
  }
  throw w.truncated()
}

/** The fields of the message stored in [start, end). */
export async function* fields(w: FileWindow, start: number, end: number): AsyncGenerator<Field> {
  let pos = start
  while (pos < end) {
    const [key, p1] = await varint(w, pos)
    const no = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [value, p2] = await varint(w, p1)
      yield { no, wire, value, pos: p1, len: 0 }
      pos = p2
    } else if (wire === 2) {
      const [len, p2] = await varint(w, p1)
      const n = Number(len)
      if (p2 + n > end) throw w.truncated()
      yield { no, wire, value: 0n, pos: p2, len: n }
      pos = p2 + n
    } else if (wire === 1 || wire === 5) {
      pos = p1 + (wire === 1 ? 8 : 4)
    } else {
      throw new ModelLoadError('', `unsupported protobuf wire type ${wire}`)
    }
  }
}

async function readShape(w: FileWindow, f: Field): Promise<(number | string)[]> {
  const dims: (number | string)[] = []
  for await (const dim of fields(w, f.pos, f.pos + f.len)) {
    if (dim.no !== 1 || dim.wire !== 2) continue
    let value: number | string = -1
    for await (const d of fields(w, dim.pos, dim.pos + dim.len)) {
      if (d.no === 1 && d.wire === 0) value = Number(BigInt.asIntN(64, d.value))
      else if (d.no === 2 && d.wire === 2) value = await w.text(d.pos, d.len)
    }
    dims.push(value)
  }
  return dims
}

/** ValueInfoProto → name, element type, shape (ORT's conventions for non-tensors). */
async function readValueInfo(w: FileWindow, f: Field): Promise<TensorIo> {
  let name = ''
  let type = 'non-tensor'
  let shape: (number | string)[] = []
  for await (const v of fields(w, f.pos, f.pos + f.len)) {
    if (v.no === 1 && v.wire === 2) name = await w.text(v.pos, v.len)
    else if (v.no === 2 && v.wire === 2) {
      for await (const t of fields(w, v.pos, v.pos + v.len)) {
        if (t.no !== 1 || t.wire !== 2) continue // only tensor_type
        type = 'unknown'
        for await (const tt of fields(w, t.pos, t.pos + t.len)) {
          if (tt.no === 1 && tt.wire === 0) {
            type = ELEMENT_TYPES[Number(tt.value)] ?? `onnx-type-${tt.value}`
          } else if (tt.no === 2 && tt.wire === 2) shape = await readShape(w, tt)
        }
      }
    }
  }
  return { name, type, shape }
}

async function tensorName(w: FileWindow, f: Field): Promise<string | null> {
  for await (const t of fields(w, f.pos, f.pos + f.len)) {
    if (t.no === 8 && t.wire === 2) return w.text(t.pos, t.len)
  }
  return null
}

/**
 * Reads the header of the `.onnx` file at `file`. Throws {@link ModelLoadError} naming the file
 * when it is missing, truncated or not an ONNX model.
 */
export async function readOnnxHeader(file: string): Promise<OnnxHeader> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, 'r')
  } catch (error) {
    throw new ModelLoadError(file, `${file} could not be read: ${(error as Error).message}`, {
      cause: error
    })
  }
  try {
    const size = (await handle.stat()).size
    const w = new FileWindow(handle, size, file)
    let irVersion = 0
    const opsets: OnnxHeader['opsets'] = []
    let graph: Field | null = null
    for await (const f of fields(w, 0, size)) {
      if (f.no === 1 && f.wire === 0) irVersion = Number(f.value)
      else if (f.no === 8 && f.wire === 2) {
        let domain = ''
        let version = 0
        for await (const o of fields(w, f.pos, f.pos + f.len)) {
          if (o.no === 1 && o.wire === 2) domain = await w.text(o.pos, o.len)
          else if (o.no === 2 && o.wire === 0) version = Number(o.value)
        }
        opsets.push({ domain, version })
      } else if (f.no === 7 && f.wire === 2) graph = f
    }
    if (graph === null || irVersion === 0) {
      throw new ModelLoadError(file, `${file} is not an ONNX model (no graph or IR version found)`)
    }
    const inputs: TensorIo[] = []
    const outputs: TensorIo[] = []
    const initializers = new Set<string>()
    for await (const g of fields(w, graph.pos, graph.pos + graph.len)) {
      if (g.wire !== 2) continue
      if (g.no === 11) inputs.push(await readValueInfo(w, g))
      else if (g.no === 12) outputs.push(await readValueInfo(w, g))
      else if (g.no === 5 && irVersion < 4) {
        // IR < 4 lists every weight among the inputs too; onnxruntime does not ask for them.
        const name = await tensorName(w, g)
        if (name !== null) initializers.add(name)
      }
    }
    return {
      irVersion,
      opsets,
      inputs: inputs.filter((i) => !initializers.has(i.name)),
      outputs
    }
  } catch (error) {
    if (error instanceof ModelLoadError && error.path !== '') throw error
    throw new ModelLoadError(
      file,
      `${file} is not a readable ONNX model: ${(error as Error).message}`,
      { cause: error }
    )
  } finally {
    await handle.close()
  }
}
