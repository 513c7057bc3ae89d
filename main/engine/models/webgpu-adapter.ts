import { InferenceSession } from 'onnxruntime-node'
import { encodeMessage, type WireField } from './protobuf-wire'

/** What {@link probeWebGpuAdapter} found. */
export interface WebGpuAdapterProbe {
  /** A WebGPU adapter exists: the webgpu provider can create sessions here. */
  found: boolean
  /** Why not (onnxruntime's words, shortened), or null. */
  reason: string | null
}

const text = (no: number, value: string): WireField => ({
  no,
  wire: 2,
  value: new TextEncoder().encode(value)
})
const varint = (no: number, value: number): WireField => ({ no, wire: 0, value: BigInt(value) })
const message = (no: number, fields: WireField[]): WireField => ({
  no,
  wire: 2,
  value: encodeMessage(fields)
})

/** A float32 [1] tensor value named `name` (ValueInfoProto). */
function tensorValue(no: number, name: string): WireField {
  const dim = message(1, [varint(1, 1)])
  const tensorType = message(1, [varint(1, 1), message(2, [dim])])
  return message(no, [text(1, name), message(2, [tensorType])])
}

/** The smallest ONNX model there is: y = Identity(x), opset 17. */
export function identityModel(): Uint8Array {
  const node = message(1, [text(1, 'x'), text(2, 'y'), text(4, 'Identity')])
  const graph = message(7, [node, text(2, 'probe'), tensorValue(11, 'x'), tensorValue(12, 'y')])
  return encodeMessage([varint(1, 8), message(8, [text(1, ''), varint(2, 17)]), graph])
}

/**
 * Whether WebGPU can run here. onnxruntime-node carries the WebGPU provider on every x64
 * platform, but the provider needs an adapter from the GPU driver (through Vulkan on Linux, D3D12
 * on Windows, Metal on macOS): a machine without a GPU, or without the driver, has none, and
 * every session asking for it fails. A one-node session finds out in a fraction of a second. It
 * loads the GPU libraries into the calling process, so the app calls it in a child process.
 */
export async function probeWebGpuAdapter(): Promise<WebGpuAdapterProbe> {
  try {
    const session = await InferenceSession.create(identityModel(), {
      executionProviders: ['webgpu'],
      logSeverityLevel: 4
    })
    await session.release()
    return { found: true, reason: null }
  } catch (error) {
    const full = error instanceof Error ? error.message : String(error)
    const said = /Failed to get a WebGPU adapter:\s*([^\n]+)/.exec(full)?.[1]
    return { found: false, reason: (said ?? full.split('\n')[0] ?? full).trim().slice(0, 200) }
  }
}
