import { promises as fs } from 'node:fs'
import path from 'node:path'
import type { ModelFolder, OnnxComponent } from './model-folder'
import { readOnnxHeader } from './onnx-header'
import { FP16_VARIANT_FILE } from './precision-variant'

/**
 * What the memory model needs to know of a model's graphs without loading them: the bytes of
 * each graph's weights on disk (the `.onnx` file and its external data) and whether it computes
 * in float16. Read from file sizes and graph headers only.
 */
export interface MemoryProfile {
  graphs: Partial<Record<OnnxComponent, { bytes: number; float16: boolean }>>
}

/** Bytes of the files that make up `component`'s float32 graph (the fp16 variant left out). */
async function graphBytes(dir: string, variant: boolean): Promise<number> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  let total = 0
  for (const e of entries) {
    if (!e.isFile() || e.name.endsWith('.json')) continue
    if (variant && e.name.startsWith(FP16_VARIANT_FILE)) continue
    const info = await fs.stat(path.join(dir, e.name)).catch(() => null)
    if (info !== null) total += info.size
  }
  return total
}

/** Reads the {@link MemoryProfile} of the graphs `folder`'s pipeline runs. */
export async function readMemoryProfile(folder: ModelFolder): Promise<MemoryProfile> {
  const graphs: MemoryProfile['graphs'] = {}
  for (const component of folder.components) {
    const dir = path.join(folder.dir, component)
    const header = await readOnnxHeader(path.join(dir, 'model.onnx'))
    const floats = [...header.inputs, ...header.outputs].filter(
      (io) => io.type === 'float16' || io.type === 'float32'
    )
    graphs[component] = {
      bytes: await graphBytes(dir, folder.fp16Variants?.includes(component) === true),
      float16: floats.length > 0 && floats.every((io) => io.type === 'float16')
    }
  }
  return { graphs }
}
