import { DecodeError } from './snapshot-values'
import type { RunSnapshot, SnapshotTensor } from './run-snapshot'

/**
 * Checks that decoded data has a run snapshot's structure, so a damaged or hand-made file is
 * refused with the field that is wrong instead of failing somewhere inside a resumed run.
 */

type Rec = Record<string, unknown>

function record(value: unknown, path: string): Rec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DecodeError(`${path} is not an object`)
  }
  return value as Rec
}

function int(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new DecodeError(`${path} is not an integer of at least ${min}`)
  }
  return value
}

function num(value: unknown, path: string): number {
  if (typeof value !== 'number') throw new DecodeError(`${path} is not a number`)
  return value
}

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new DecodeError(`${path} is not text`)
  return value
}

/** A `{ dims, data }` whose element count matches its shape. */
export function checkTensor(value: unknown, path: string): SnapshotTensor {
  const t = record(value, path)
  if (!Array.isArray(t.dims) || t.dims.some((d) => !Number.isInteger(d) || (d as number) < 0)) {
    throw new DecodeError(`${path}.dims is not a shape`)
  }
  if (!(t.data instanceof Float32Array)) throw new DecodeError(`${path}.data is not a tensor`)
  const count = (t.dims as number[]).reduce((a, b) => a * b, 1)
  if (count !== t.data.length) {
    throw new DecodeError(
      `${path} has shape [${(t.dims as number[]).join(', ')}] but ${t.data.length} values`
    )
  }
  return { dims: t.dims as number[], data: t.data }
}

function tensorMap(
  value: unknown,
  path: string,
  nullable: boolean
): Record<string, SnapshotTensor | null> {
  const out: Record<string, SnapshotTensor | null> = {}
  for (const [name, t] of Object.entries(record(value, path))) {
    if (t === null && nullable) out[name] = null
    else out[name] = checkTensor(t, `${path}.${name}`)
  }
  return out
}

/** Returns the value as a {@link RunSnapshot}, or throws `DecodeError` naming the bad field. */
export function checkRunSnapshot(value: unknown, path: string): RunSnapshot {
  const s = record(value, path)
  const model = record(s.model, `${path}.model`)
  const family = model.family
  if (family !== 'sd' && family !== 'sdxl') {
    throw new DecodeError(`${path}.model.family is not 'sd' or 'sdxl'`)
  }
  const timesteps = s.timesteps
  if (!Array.isArray(timesteps) || timesteps.some((t) => typeof t !== 'number')) {
    throw new DecodeError(`${path}.timesteps is not a list of numbers`)
  }
  const step = int(s.step, `${path}.step`, 0)
  if (step >= timesteps.length) {
    throw new DecodeError(`${path}.step ${step} is past the run's ${timesteps.length} steps`)
  }
  const scheduler = record(s.scheduler, `${path}.scheduler`)
  const generator = record(s.generator, `${path}.generator`)
  if (!(generator.words instanceof Uint32Array) || generator.words.length !== 624) {
    throw new DecodeError(`${path}.generator.words is not a Mersenne Twister state`)
  }
  const guidance = record(s.guidance, `${path}.guidance`)
  const kept = guidance.keptAside
  let keptAside: RunSnapshot['guidance']['keptAside'] = null
  if (kept !== null) {
    const k = record(kept, `${path}.guidance.keptAside`)
    keptAside = {
      guidanceScale: num(k.guidanceScale, `${path}.guidance.keptAside.guidanceScale`),
      tensors: tensorMap(k.tensors, `${path}.guidance.keptAside.tensors`, false) as Record<
        string,
        SnapshotTensor
      >
    }
  }
  const tensors = tensorMap(s.tensors, `${path}.tensors`, true)
  if (tensors.latents === null || tensors.latents === undefined) {
    throw new DecodeError(`${path}.tensors has no latents`)
  }
  return {
    model: {
      name: str(model.name, `${path}.model.name`),
      family,
      pipelineClass: str(model.pipelineClass, `${path}.model.pipelineClass`),
      fingerprint: str(model.fingerprint, `${path}.model.fingerprint`)
    },
    params: record(s.params, `${path}.params`),
    step,
    timesteps: timesteps as number[],
    numInferenceSteps: int(s.numInferenceSteps, `${path}.numInferenceSteps`, 1),
    batchSize: int(s.batchSize, `${path}.batchSize`, 1),
    scheduler: {
      className: str(scheduler.className, `${path}.scheduler.className`),
      config: record(scheduler.config, `${path}.scheduler.config`),
      fields: record(
        scheduler.fields,
        `${path}.scheduler.fields`
      ) as RunSnapshot['scheduler']['fields']
    },
    generator: {
      seed: str(generator.seed, `${path}.generator.seed`),
      words: generator.words,
      index: int(generator.index, `${path}.generator.index`, 0),
      nextDoubleNormal:
        generator.nextDoubleNormal === null
          ? null
          : num(generator.nextDoubleNormal, `${path}.generator.nextDoubleNormal`)
    },
    guidance: {
      guidanceScale: num(guidance.guidanceScale, `${path}.guidance.guidanceScale`),
      guidanceRescale: num(guidance.guidanceRescale, `${path}.guidance.guidanceRescale`),
      cfg: guidance.cfg === true,
      keptAside
    },
    tensors,
    meta: s.meta === undefined ? {} : record(s.meta, `${path}.meta`)
  }
}
