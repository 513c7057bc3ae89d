import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { OnnxModel } from './onnx-model'

/**
 * The model boundary with element types the fixtures do not use: a float16 graph with an int64
 * scalar input, written here as ONNX protobuf bytes (y = x + float16(t)), run in onnxruntime.
 */
const enc = new TextEncoder()
function varint(n: number): number[] {
  const out: number[] = []
  let v = n
  do {
    let b = v & 0x7f
    v = Math.floor(v / 128)
    if (v !== 0) b |= 0x80
    out.push(b)
  } while (v !== 0)
  return out
}
const field = (no: number, payload: Uint8Array | number[]): number[] => [
  ...varint((no << 3) | 2),
  ...varint(payload.length),
  ...payload
]
const intField = (no: number, value: number): number[] => [...varint(no << 3), ...varint(value)]
const str = (no: number, s: string): number[] => field(no, enc.encode(s))
const msg = (...parts: number[][]): number[] => parts.flat()

const FLOAT16 = 10
const INT64 = 7
function valueInfo(name: string, elemType: number, dims: (number | string)[]): number[] {
  const shape = msg(
    ...dims.map((d) => field(1, typeof d === 'number' ? intField(1, d) : str(2, d)))
  )
  return msg(str(1, name), field(2, field(1, msg(intField(1, elemType), field(2, shape)))))
}

function float16AddModel(): Uint8Array {
  const cast = msg(
    str(1, 't'),
    str(2, 't16'),
    str(3, 'cast'),
    str(4, 'Cast'),
    field(5, msg(str(1, 'to'), intField(3, FLOAT16), intField(20, 2)))
  )
  const add = msg(str(1, 'x'), str(1, 't16'), str(2, 'y'), str(3, 'add'), str(4, 'Add'))
  const graph = msg(
    field(1, cast),
    field(1, add),
    str(2, 'g'),
    field(11, valueInfo('x', FLOAT16, ['n'])),
    field(11, valueInfo('t', INT64, [])),
    field(12, valueInfo('y', FLOAT16, ['n']))
  )
  return Uint8Array.from(
    msg(intField(1, 8), field(8, msg(str(1, ''), intField(2, 17))), field(7, graph))
  )
}

let tmp = ''
const models: OnnxModel[] = []
afterAll(async () => {
  for (const m of models) await m.release()
  if (tmp !== '') await fs.rm(tmp, { recursive: true, force: true })
})

describe('OnnxModel casts feeds and outputs at the graph boundary', () => {
  it('feeds float32 data to a float16 input, an int64 scalar from a fractional float, reads float16 back as float32', async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-onnx-'))
    const file = path.join(tmp, 'model.onnx')
    await fs.writeFile(file, float16AddModel())
    const session = await InferenceSession.create(file)
    const model = new OnnxModel(session, file, 'add/model.onnx', 'cpu')
    models.push(model)
    expect(model.input('x')).toEqual({ name: 'x', type: 'float16', shape: ['n'] })
    expect(model.input('t').shape).toEqual([])
    const { outputs, ms } = await model.run({
      x: new Tensor('float32', Float32Array.of(0.5, -1.25, 1000), [3]),
      t: new Tensor('float32', Float32Array.of(2.75), [1]) // rank 1 in, rank 0 declared; 2.75 → 2
    })
    const y = outputs.y as Tensor
    expect(y.type).toBe('float32')
    expect(Array.from(y.data as Float32Array)).toEqual([2.5, 0.75, 1002])
    expect(ms).toBeGreaterThanOrEqual(0)
    expect(() => model.requireInputType('x', ['float32'])).toThrow(
      'add/model.onnx input "x" has type float16, which Stepwise cannot feed (supported: float32)'
    )
    expect(() => model.input('z')).toThrow(
      'add/model.onnx has no input named "z" (its inputs: x, t)'
    )
  })
})
