import { promises as fs } from 'node:fs'
import path from 'node:path'
import {
  decodeMessage as decode,
  encodeMessage as encode,
  fieldText
} from '../models/protobuf-wire'

/**
 * Test support: model-folder variants made from the committed fixtures by editing their ONNX
 * protobuf directly with the engine's wire-format codec (models/protobuf-wire) — shapes other
 * exporters declare, and the legacy diffusers layout — so the engine's handling of them runs
 * against real graphs.
 */

/**
 * Copies a model folder and rewrites one graph so that axis 0 of the named inputs
 * (and of every output) is the fixed size `batch` instead of a symbolic dimension — what a
 * static-shape export (e.g. for some NPUs or TensorRT) looks like. Only the declared shapes in the
 * graph's metadata change; the operators are batch-agnostic, so the graph still computes the
 * same values at that batch size.
 * (ModelProto.graph → GraphProto.input/output → ValueInfoProto.type → TypeProto.tensor_type →
 * shape → dim[0].)
 */
export async function makeFixedBatchVariant(
  sourceDir: string,
  destDir: string,
  component: string,
  inputs: readonly string[],
  batch: number
): Promise<void> {
  // A full copy: onnxruntime refuses external weights reached through a symlink out of the folder.
  await fs.cp(sourceDir, destDir, { recursive: true })
  const file = path.join(destDir, component, 'model.onnx')
  const model = await fs.readFile(file)
  await fs.writeFile(file, rewriteModel(model, new Set(inputs), batch))
}

/** Applies `fn` to every length-delimited field number `no` of a message. */
function mapMessage(
  buf: Uint8Array,
  no: number,
  fn: (inner: Uint8Array) => Uint8Array
): Uint8Array {
  return encode(
    decode(buf).map((f) =>
      f.no === no && f.wire === 2 ? { ...f, value: fn(f.value as Uint8Array) } : f
    )
  )
}

function nameOf(valueInfo: Uint8Array): string {
  return fieldText(decode(valueInfo).find((x) => x.no === 1 && x.wire === 2))
}

function fixFirstDim(valueInfo: Uint8Array, batch: number): Uint8Array {
  // ValueInfoProto.type(2) → TypeProto.tensor_type(1) → shape(2) → first dim(1): dim_value(1).
  return mapMessage(valueInfo, 2, (type) =>
    mapMessage(type, 1, (tensor) =>
      mapMessage(tensor, 2, (shape) => {
        const dims = decode(shape)
        const first = dims.findIndex((d) => d.no === 1)
        if (first >= 0) {
          dims[first] = {
            no: 1,
            wire: 2,
            value: encode([{ no: 1, wire: 0, value: BigInt(batch) }])
          }
        }
        return encode(dims)
      })
    )
  )
}

function rewriteModel(model: Uint8Array, inputs: ReadonlySet<string>, batch: number): Uint8Array {
  return mapMessage(model, 7, (graph) =>
    encode(
      decode(graph).map((f) => {
        if (f.wire !== 2) return f
        const v = f.value as Uint8Array
        if (f.no === 11 && inputs.has(nameOf(v))) return { ...f, value: fixFirstDim(v, batch) }
        if (f.no === 12) return { ...f, value: fixFirstDim(v, batch) }
        return f
      })
    )
  )
}

/**
 * Copies a model folder into diffusers' legacy ONNX layout (`OnnxStableDiffusionPipeline`, no
 * component `config.json` files, UNet weights in `unet/weights.pb`): the external-data location of
 * every UNet initializer is rewritten (GraphProto.initializer → TensorProto.external_data →
 * "location") and the weights file renamed to match.
 */
export async function makeLegacyOnnxLayout(sourceDir: string, destDir: string): Promise<void> {
  await fs.cp(sourceDir, destDir, { recursive: true })
  for (const entry of await fs.readdir(destDir, { withFileTypes: true })) {
    if (entry.isDirectory())
      await fs.rm(path.join(destDir, entry.name, 'config.json'), { force: true })
  }
  const indexFile = path.join(destDir, 'model_index.json')
  const index = JSON.parse(await fs.readFile(indexFile, 'utf8')) as Record<string, unknown>
  index._class_name = 'OnnxStableDiffusionPipeline'
  for (const c of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'])
    index[c] = ['diffusers', 'OnnxRuntimeModel']
  await fs.writeFile(indexFile, JSON.stringify(index, null, 2))
  const unetDir = path.join(destDir, 'unet')
  await fs.rename(path.join(unetDir, 'model.onnx_data'), path.join(unetDir, 'weights.pb'))
  await relocateExternalData(path.join(unetDir, 'model.onnx'), 'weights.pb')
}

/**
 * Rewrites the external-data location of every initializer of the graph in `file` (GraphProto
 * .initializer → TensorProto.external_data → "location") to `location`, in place; the caller
 * moves the weights file to match.
 */
export async function relocateExternalData(file: string, location: string): Promise<void> {
  const model = await fs.readFile(file)
  const encoder = new TextEncoder()
  const rewritten = mapMessage(model, 7, (graph) =>
    mapMessage(graph, 5, (tensor) =>
      encode(
        decode(tensor).map((f) => {
          if (f.no !== 13 || f.wire !== 2) return f
          const entry = decode(f.value as Uint8Array)
          const key = entry.find((e) => e.no === 1)
          if (key === undefined || new TextDecoder().decode(key.value as Uint8Array) !== 'location')
            return f
          return {
            ...f,
            value: encode(
              entry.map((e) => (e.no === 2 ? { ...e, value: encoder.encode(location) } : e))
            )
          }
        })
      )
    )
  )
  await fs.writeFile(file, rewritten)
}
