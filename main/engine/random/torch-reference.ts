import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Selected values and summaries of a large torch tensor (see tools/reference). */
export interface TorchTensorSummary {
  numel: number
  indices: number[]
  values: number[]
  sum: number
  sumOfSquares: number
  sha256: string
}

/** The shape of fixtures/torch-random-reference.json, written by tools/reference. */
export interface TorchRandomReference {
  torchVersion: string
  defaultSeed: number
  seeds: {
    seed: number | string
    initialSeed: string
    randn: Record<string, number[]>
    rand: Record<string, number[]>
    randnLarge: TorchTensorSummary
    randLarge: TorchTensorSummary
  }[]
  unseeded: { randn: number[] }
  interleaved: {
    seed: number | string
    calls: { op: 'randn' | 'rand'; dims: number[]; values: number[] }[]
  }[]
  repeated: { seed: number; dims: number[]; calls: number[][] }
  generatorList: { seeds: number[]; dims: number[]; values: number[] }
}

/** Reads the PyTorch reference data the random tests compare against. */
export function loadTorchRandomReference(): TorchRandomReference {
  const path = join(__dirname, 'fixtures', 'torch-random-reference.json')
  return JSON.parse(readFileSync(path, 'utf8')) as TorchRandomReference
}

/** A seed as stored in the fixture: numbers above 2^53 travel as decimal strings. */
export function fixtureSeed(seed: number | string): number | bigint {
  return typeof seed === 'string' ? BigInt(seed) : seed
}
