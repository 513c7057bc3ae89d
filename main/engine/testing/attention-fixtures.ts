import { readFileSync } from 'node:fs'
import path from 'node:path'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { withExternalDataFolder } from '../models/execution-providers'

/**
 * Test support: the attention graphs of fixtures/attention (made by
 * tools/make_attention_fixtures.py with torch 1.13 and torch 2.x) and their manifest.
 */
export const ATTENTION_FIXTURES = path.resolve(__dirname, '../../../fixtures/attention')

/** One fixture graph as the manifest describes it. */
export interface AttentionFixture {
  /** Path relative to fixtures/attention. */
  file: string
  inputs: Record<string, number[]>
  dynamic_axes: Record<string, number[]>
  expect: 'fused' | 'unfused'
  /** Attention nodes expected to fuse, their heads, and a scale when it is not head_dim^-0.5. */
  count?: number
  heads?: number[]
  scale?: number
  /** Part of the reason an unfused fixture must give. */
  reason?: string
}

interface Manifest {
  torch1: { torch: string; fixtures: AttentionFixture[] }
  torch2: { torch: string; fixtures: AttentionFixture[] }
}

export function attentionManifest(): Manifest {
  return JSON.parse(
    readFileSync(path.join(ATTENTION_FIXTURES, 'manifest.json'), 'utf8')
  ) as Manifest
}

/** Every fixture, labelled "torch1/unet-self-8h.onnx"-style. */
export function allAttentionFixtures(): AttentionFixture[] {
  const m = attentionManifest()
  return [...m.torch1.fixtures, ...m.torch2.fixtures]
}

export function fixturePath(f: AttentionFixture): string {
  return path.join(ATTENTION_FIXTURES, f.file)
}

/**
 * Inputs for a fixture: its export shapes, or (`resized`) other sizes along its dynamic axes —
 * batch 3, spatial axes doubled, sequences 3 longer — so a rewrite is checked off the traced size.
 */
export function fixtureFeeds(
  f: AttentionFixture,
  resized: boolean,
  seed = 1
): Record<string, Tensor> {
  let x = seed
  const feeds: Record<string, Tensor> = {}
  for (const [name, exported] of Object.entries(f.inputs)) {
    const dims = exported.map((d, axis) => {
      if (!resized || !(f.dynamic_axes[name] ?? []).includes(axis)) return d
      if (axis === 0) return 3
      return exported.length === 4 ? d * 2 : d + 3
    })
    const count = dims.reduce((n, d) => n * d, 1)
    const data = Float32Array.from({ length: count }, () => {
      if (name === 'timestep') return 500
      x = (x * 1103515245 + 12345) % 2 ** 31
      return (x / 2 ** 30 - 1) * 2
    })
    feeds[name] = new Tensor('float32', data, dims)
  }
  return feeds
}

/** Runs a graph (a file, or rewritten bytes whose weights live beside `file`) once on CPU. */
export async function runGraph(
  file: string,
  bytes: Uint8Array | null,
  feeds: Record<string, Tensor>
): Promise<Record<string, Tensor>> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    logSeverityLevel: 3
  }
  const session =
    bytes === null
      ? await InferenceSession.create(file, options)
      : await InferenceSession.create(bytes, withExternalDataFolder(options, path.dirname(file)))
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

/** max |a − b| / max |a| over every output of `a`. */
export function maxRelativeDifference(
  a: Record<string, Tensor>,
  b: Record<string, Tensor>
): number {
  let worst = 0
  for (const [name, t] of Object.entries(a)) {
    const x = t.data as Float32Array
    const y = b[name]?.data as Float32Array | undefined
    if (y === undefined || y.length !== x.length) return Infinity
    let scale = 0
    let diff = 0
    for (let i = 0; i < x.length; i++) {
      scale = Math.max(scale, Math.abs(x[i] as number))
      diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)))
    }
    worst = Math.max(worst, diff / scale)
  }
  return worst
}
