import { promises as fs } from 'node:fs'
import path from 'node:path'
import { GraphSignature, type TensorIo } from './graph-signature'
import {
  componentModelPath,
  openModelFolder,
  type ModelFolder,
  type OnnxComponent
} from './model-folder'
import { readOnnxHeader } from './onnx-header'
import { describeTextEncoder } from './text-encoder-io'
import { describeUnet } from './unet-io'
import { describeVaeDecoder } from './vae-decoder-io'

/** Float precision of a graph's (or a model's) float inputs and outputs. */
export type FloatPrecision = 'fp32' | 'fp16' | 'mixed'

/** One graph of a checked folder. */
export interface GraphCheck {
  component: OnnxComponent
  /** Absolute path of the `.onnx` file. */
  file: string
  /** The component folder's size on disk: the graph and its external weights. */
  sizeBytes: number
  inputs: TensorIo[]
  outputs: TensorIo[]
  precision: FloatPrecision
}

/** A model folder checked as the pipelines will use it, without creating any session. */
export interface ModelFolderCheck {
  folder: ModelFolder
  graphs: GraphCheck[]
  /** fp16 when every float input and output of every graph is float16, fp32 when none is. */
  precision: FloatPrecision
  /** The UNet's `encoder_hidden_states` width (768 SD 1.x, 1024 SD 2.x, 2048 SDXL), if known. */
  crossAttentionDim: number | null
  /** diffusers' older `OnnxStableDiffusionPipeline` export (no component configs). */
  legacyLayout: boolean
}

function precisionOf(ios: readonly TensorIo[]): FloatPrecision | null {
  const floats = ios.filter((io) => io.type === 'float32' || io.type === 'float16')
  if (floats.length === 0) return null
  const half = floats.filter((io) => io.type === 'float16').length
  return half === 0 ? 'fp32' : half === floats.length ? 'fp16' : 'mixed'
}

function combine(values: readonly (FloatPrecision | null)[]): FloatPrecision {
  const known = values.filter((v): v is FloatPrecision => v !== null)
  if (known.every((v) => v === 'fp32')) return 'fp32'
  if (known.every((v) => v === 'fp16')) return 'fp16'
  return 'mixed'
}

async function folderBytes(dir: string): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  let total = 0
  for (const e of entries) {
    const info = await fs.stat(path.join(dir, e.name)).catch(() => null)
    if (info?.isFile() === true) total += info.size
  }
  return total
}

/**
 * Reads and checks a model folder the way the pipelines will use it: {@link openModelFolder}'s
 * checks (index, configs, files), then every graph's declared inputs and outputs, read from the
 * `.onnx` headers, through the same validators the pipelines run after loading (input and output
 * names, element types, SDXL's extra inputs). Throws the first problem as a `ModelLoadError`
 * naming the file and what was expected; creates no onnxruntime session.
 */
export async function checkModelFolder(dir: string): Promise<ModelFolderCheck> {
  const folder = await openModelFolder(dir)
  const sdxl = folder.family === 'sdxl'
  const graphs: GraphCheck[] = []
  let crossAttentionDim: number | null = null
  for (const component of folder.components) {
    const file = componentModelPath(folder.dir, component)
    const header = await readOnnxHeader(file)
    const signature = new GraphSignature(
      file,
      `${component}/model.onnx`,
      header.inputs,
      header.outputs
    )
    if (component === 'unet') {
      describeUnet(signature, folder.family)
      const width = signature.input('encoder_hidden_states').shape.at(-1)
      if (typeof width === 'number' && width > 0) crossAttentionDim = width
    } else if (component === 'vae_decoder') {
      describeVaeDecoder(signature)
    } else {
      describeTextEncoder(signature, { hiddenStates: sdxl, lastHiddenState: !sdxl })
    }
    graphs.push({
      component,
      file,
      sizeBytes: await folderBytes(path.dirname(file)),
      inputs: header.inputs,
      outputs: header.outputs,
      precision: combine([precisionOf(header.inputs), precisionOf(header.outputs)])
    })
  }
  const configured = folder.unetConfig.raw['cross_attention_dim']
  if (typeof configured === 'number') crossAttentionDim = configured
  return {
    folder,
    graphs,
    precision: combine(graphs.map((g) => g.precision)),
    crossAttentionDim,
    legacyLayout: folder.index.legacyOnnx
  }
}
