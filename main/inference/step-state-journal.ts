import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writevSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deserialize, serialize } from 'node:v8'
import type { RunSnapshot } from '../engine'
import type { StepStateDelta } from './step-state-delta'
import { StepStateSender, wholeStepState } from './step-state-delta'

/**
 * A job's step states in a file: the inference process appends each slow step's state before it
 * reports the step, and main reads them after "stop now" has ended that process mid-step.
 *
 * Why a file rather than a message: a state (64 KiB of latents at 512²) does not fit the 64 KiB
 * pipe under `child_process.fork`, and the rest of a message is written by the inference
 * process's event loop, which the next step's `session.run` blocks. So each state had to wait
 * until main had read it before the next step could start (0.2–0.7 ms a step, measured at 512²,
 * and longer whenever main was busy). A write to a file is done when `writev` returns: the data
 * is the kernel's and outlives the process, whatever kills it.
 *
 * Each record is a 12-byte header (magic, then the byte lengths of its two parts), the v8
 * serialization of a {@link StepStateDelta} less its tensors' data (the conditioning goes in the
 * job's first record only), then that data as raw float32 bytes, written straight from the
 * tensors (serializing 64 KiB of latents cost more than writing them). A kill can cut the last
 * record short; the reader stops at the first record that is not whole.
 */

const MAGIC = 0x54535753 // "SWST", little-endian
const HEADER_BYTES = 12

/** What a record's serialized part holds: the delta with its tensors' data taken out. */
interface RecordMeta extends StepStateDelta {
  /** The tensors in the order their data follows: dims, or null for a tensor the run lacks. */
  rawTensors: [name: string, dims: number[] | null][]
}

/** The inference process's side: appends one job's step states to its journal file. */
export class StepStateJournalWriter {
  private fd: number | null = null
  private failed = false
  private readonly sender = new StepStateSender()

  constructor(readonly path: string) {}

  /**
   * Appends `snapshot` (synchronously: once this returns, main can read it). A failed write
   * (a full disk) must not fail the run, only "stop now": it returns what went wrong the first
   * time and stops writing, so "stop now" falls back to the last state written.
   */
  append(snapshot: RunSnapshot): string | null {
    if (this.failed) return null
    try {
      const delta = this.sender.delta(snapshot)
      const rawTensors: RecordMeta['rawTensors'] = []
      const data: Uint8Array[] = []
      for (const [name, tensor] of Object.entries(delta.snapshot.tensors)) {
        rawTensors.push([name, tensor?.dims ?? null])
        if (tensor !== null) {
          const { buffer, byteOffset, byteLength } = tensor.data
          data.push(new Uint8Array(buffer, byteOffset, byteLength))
        }
      }
      const record: RecordMeta = {
        ...delta,
        snapshot: { ...delta.snapshot, tensors: {} },
        rawTensors
      }
      const meta = serialize(record)
      const header = Buffer.allocUnsafe(HEADER_BYTES)
      header.writeUInt32LE(MAGIC, 0)
      header.writeUInt32LE(meta.byteLength, 4)
      header.writeUInt32LE(
        data.reduce((sum, d) => sum + d.byteLength, 0),
        8
      )
      this.fd ??= openSync(this.path, 'a')
      writevSync(this.fd, [header, meta, ...data])
      return null
    } catch (error) {
      this.failed = true
      return `"stop now" will stop at step ${snapshot.step} or earlier: its state could not be written to ${this.path} (${error instanceof Error ? error.message : String(error)})`
    }
  }

  /** Closes the file (it stays for main, which deletes it). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }
}

/**
 * Main's side: every whole step state in the journal at `path`, oldest first. A missing file
 * (no slow step yet) reads as none; a record cut short, or one whose conditioning is missing,
 * ends the list there, so a broken state is never taken as the one to continue from.
 */
export function readStepStateJournal(path: string): RunSnapshot[] {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const states: RunSnapshot[] = []
  let previous: RunSnapshot | null = null
  for (let at = 0; at + HEADER_BYTES <= bytes.byteLength;) {
    if (bytes.readUInt32LE(at) !== MAGIC) break
    const metaEnd = at + HEADER_BYTES + bytes.readUInt32LE(at + 4)
    const end = metaEnd + bytes.readUInt32LE(at + 8)
    if (end > bytes.byteLength) break
    const delta = recordAt(bytes, at + HEADER_BYTES, metaEnd, end)
    const state: RunSnapshot | null = delta === null ? null : wholeStepState(delta, previous)
    if (state === null) break
    states.push(state)
    previous = state
    at = end
  }
  return states
}

/** The delta of the record whose parts lie at [start, metaEnd) and [metaEnd, end), or null. */
function recordAt(
  bytes: Buffer,
  start: number,
  metaEnd: number,
  end: number
): StepStateDelta | null {
  let meta: RecordMeta
  try {
    meta = deserialize(bytes.subarray(start, metaEnd)) as RecordMeta
  } catch {
    return null
  }
  if (!Array.isArray(meta.rawTensors)) return null
  const tensors: RunSnapshot['tensors'] = {}
  let at = metaEnd
  for (const [name, dims] of meta.rawTensors) {
    if (dims === null) {
      tensors[name] = null
      continue
    }
    const byteLength = 4 * dims.reduce((n, d) => n * d, 1)
    if (at + byteLength > end) return null
    // A copy: the file's bytes need not sit at a multiple of 4 for a Float32Array view.
    const data = new Float32Array(byteLength / 4)
    new Uint8Array(data.buffer).set(bytes.subarray(at, at + byteLength))
    tensors[name] = { dims, data }
    at += byteLength
  }
  if (at !== end) return null
  return { snapshot: { ...meta.snapshot, tensors }, sameAsBefore: meta.sameAsBefore }
}

/**
 * Deletes a journal (a missing one is fine). A journal that cannot be deleted now is left for the
 * folder's removal at exit: a stray temporary file must not fail the job it belonged to.
 */
export function removeStepStateJournal(path: string): void {
  try {
    rmSync(path, { force: true })
  } catch {
    // Left for the folder's removal when this process exits.
  }
}

let journalDir: string | null = null
let journalCount = 0

/**
 * A fresh journal path for a job, in a folder of this process's own under the system's temporary
 * folder, removed when this process exits (each job's file is deleted as the job settles).
 */
export function newStepStateJournalPath(): string {
  if (journalDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-step-states-'))
    journalDir = dir
    process.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // A file still held open elsewhere (Windows): the system's temporary folder keeps it.
      }
    })
  }
  journalCount += 1
  return join(journalDir, `job-${journalCount}.states`)
}
