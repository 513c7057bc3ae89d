import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Generator } from '../random/generator'
import { DPMSolverMultistepScheduler } from '../schedulers'
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline'
import { openSd } from '../testing/pipeline-fixtures'
import { RUN_SNAPSHOT_VERSION, RunSnapshotError, type RunSnapshot } from './run-snapshot'
import {
  parseRunSnapshot,
  parseRunSnapshots,
  serializeRunSnapshot,
  serializeRunSnapshots
} from './snapshot-file'

/** The run snapshot file: what it keeps, and every way a file can be refused. */
let sd: StableDiffusionPipeline
const perStep: RunSnapshot[] = []
beforeAll(async () => {
  sd = await openSd()
  sd.scheduler = DPMSolverMultistepScheduler.fromConfig(sd.folder.schedulerConfig, {
    algorithm_type: 'sde-dpmsolver++'
  })
  await sd.call({
    prompt: 'a red circle',
    numInferenceSteps: 4,
    generator: new Generator().manualSeed(3),
    outputType: 'latent',
    onStepEnd: (info) => void perStep.push(info.snapshot())
  })
})
afterAll(async () => {
  await sd.release()
})

function header(bytes: Uint8Array): Record<string, unknown> {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true)
  return JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as Record<
    string,
    unknown
  >
}

/** The bytes with the header replaced (keeping its checksum, so the damage is what is tested). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true)
  const h = header(bytes)
  edit(h)
  let text = new TextEncoder().encode(JSON.stringify(h))
  const padded = new Uint8Array(Math.ceil(text.length / 4) * 4).fill(0x20)
  padded.set(text)
  text = padded
  const out = new Uint8Array(12 + text.length + bytes.length - 12 - length)
  out.set(bytes.subarray(0, 8))
  new DataView(out.buffer).setUint32(8, text.length, true)
  out.set(text, 12)
  out.set(bytes.subarray(12 + length), 12 + text.length)
  return out
}

describe('run snapshot files', () => {
  it('keep every field of the snapshot exactly, tensors and scheduler history included', () => {
    const snap = perStep[2] as RunSnapshot
    const back = parseRunSnapshot(serializeRunSnapshot(snap))
    expect(back).toEqual(snap)
    expect(back.step).toBe(2)
    expect(back.scheduler.className).toBe('DPMSolverMultistepScheduler')
    expect(back.generator.words).toEqual(snap.generator.words)
    const h = header(serializeRunSnapshot(snap))
    expect(h.format).toBe('stepwise-run-snapshot')
    expect(h.version).toBe(RUN_SNAPSHOT_VERSION)
  })

  it('store a tensor shared by several snapshots once (the conditioning of a run)', () => {
    const one = serializeRunSnapshot(perStep[0] as RunSnapshot)
    const all = serializeRunSnapshots(perStep)
    const embeds = (perStep[0] as RunSnapshot).tensors.prompt_embeds?.data.byteLength ?? 0
    expect(embeds).toBeGreaterThan(0)
    expect(all.length).toBeLessThan(one.length * perStep.length - embeds * (perStep.length - 1) + 1)
    expect(parseRunSnapshots(all).map((s) => s.step)).toEqual([0, 1, 2, 3])
  })

  it('keep numbers JSON cannot write (NaN, infinities, −0)', () => {
    const snap = perStep[0] as RunSnapshot
    const odd = {
      ...snap,
      scheduler: {
        ...snap.scheduler,
        fields: { ...snap.scheduler.fields, sigmas: [Number.NaN, Infinity, -Infinity, -0, 1.5] }
      }
    }
    const back = parseRunSnapshot(serializeRunSnapshot(odd)).scheduler.fields.sigmas as number[]
    expect(back.map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '1.5'
    ])
  })

  it('refuse what is not one, cut short, edited, damaged or of an unknown version', () => {
    const good = serializeRunSnapshot(perStep[1] as RunSnapshot)
    const refuse = (bytes: Uint8Array, message: string | RegExp): void => {
      expect(() => parseRunSnapshot(bytes, 'state.bin')).toThrow(RunSnapshotError)
      expect(() => parseRunSnapshot(bytes, 'state.bin')).toThrow(message)
    }
    refuse(
      new TextEncoder().encode('\x89PNG\r\n\x1a\nIHDR....'),
      'state.bin is not a Stepwise run snapshot (a snapshot file starts with "STEPWISE")'
    )
    refuse(good.subarray(0, 40), /^state\.bin is truncated: its header needs \d+ bytes/)
    refuse(
      good.subarray(0, good.length - 100),
      /^state\.bin is truncated: it should hold \d+ bytes of tensors but has \d+$/
    )
    const flipped = good.slice()
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0xff
    refuse(
      flipped,
      'state.bin was changed or damaged after it was written (its checksum does not match its contents)'
    )
    refuse(
      withHeader(good, (h) => {
        ;((h.snapshots as Record<string, unknown>[])[0] as Record<string, unknown>).step = 0
      }),
      'state.bin was changed or damaged after it was written'
    )
    refuse(
      withHeader(good, (h) => {
        h.version = 2
      }),
      'state.bin is a run snapshot of format version 2; this Stepwise reads version 1 (it was written by a newer Stepwise)'
    )
    refuse(
      withHeader(good, (h) => {
        h.format = 'something-else'
      }),
      'state.bin is not a Stepwise run snapshot (its header names the format "something-else")'
    )
    const notJson = good.slice()
    notJson.set(new TextEncoder().encode('{{'), 12)
    refuse(notJson, /^state\.bin is damaged: its header is not valid JSON/)
  })

  it('refuse a well-formed file whose snapshot lacks what a run needs', () => {
    const snap = perStep[1] as RunSnapshot
    const noLatents = { ...snap, tensors: { ...snap.tensors, latents: null } }
    expect(() => parseRunSnapshot(serializeRunSnapshot(noLatents))).toThrow(
      'the file is damaged: snapshots[0].tensors has no latents'
    )
    const badShape = {
      ...snap,
      tensors: { ...snap.tensors, latents: { dims: [1, 4, 3, 3], data: new Float32Array(5) } }
    }
    expect(() => parseRunSnapshot(serializeRunSnapshot(badShape))).toThrow(
      'the file is damaged: snapshots[0].tensors.latents has shape [1, 4, 3, 3] but 5 values'
    )
  })
})
