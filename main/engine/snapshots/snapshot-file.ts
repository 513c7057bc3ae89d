import { createHash } from 'node:crypto'
import { checkRunSnapshot } from './snapshot-structure'
import {
  decodeValue,
  DecodeError,
  encodeValue,
  TensorTable,
  type TensorTableEntry
} from './snapshot-values'
import {
  READABLE_RUN_SNAPSHOT_VERSIONS,
  RUN_SNAPSHOT_FORMAT,
  RUN_SNAPSHOT_VERSION,
  RunSnapshotError,
  type RunSnapshot
} from './run-snapshot'

/**
 * The run snapshot file: one or more snapshots of a run, in one format.
 *
 * ```
 * "STEPWISE"                       8 bytes
 * header length H                  uint32, little-endian
 * header                           H bytes of UTF-8 JSON, padded with spaces to a multiple of 4
 * data                             the tensor table's float32 buffers, little-endian, back to back
 * ```
 *
 * The header holds the format name, its version, the snapshots (model identity, parameters,
 * step, scheduler and generator state, guidance, tensors as references into the table), the
 * tensor table, the data's length and a SHA-256 checksum over the header and the data, so a file
 * that was cut short or edited is refused with a message saying so rather than resumed wrongly.
 */

const MAGIC = 'STEPWISE'
const PREFIX_BYTES = 12

interface Header {
  format: string
  version: number
  snapshots: unknown[]
  tensors: TensorTableEntry[]
  dataBytes: number
  checksum?: string
}

function checksumOf(headerJson: string, data: Uint8Array): string {
  return createHash('sha256').update(headerJson).update('\n').update(data).digest('hex')
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The snapshots as one file's bytes. Tensors shared between snapshots are stored once. */
export function serializeRunSnapshots(snapshots: readonly RunSnapshot[]): Uint8Array {
  if (snapshots.length === 0) throw new Error('serializeRunSnapshots needs at least one snapshot')
  const table = new TensorTable()
  const encoded = snapshots.map((s, i) => encodeValue(s, `snapshots[${i}]`, table))
  const data = new Uint8Array(table.byteLength)
  table.buffers.forEach((buffer, i) => {
    const entry = table.entries[i] as TensorTableEntry
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    data.set(bytes, entry.offset)
    if (!littleEndian) swap32(data, entry.offset, buffer.length)
  })
  const header: Header = {
    format: RUN_SNAPSHOT_FORMAT,
    version: RUN_SNAPSHOT_VERSION,
    snapshots: encoded,
    tensors: table.entries,
    dataBytes: data.byteLength
  }
  const body = JSON.stringify(header)
  const full = JSON.stringify({ ...header, checksum: checksumOf(body, data) })
  let headerBytes = new TextEncoder().encode(full)
  const padded = Math.ceil(headerBytes.length / 4) * 4
  if (padded !== headerBytes.length) {
    const withPad = new Uint8Array(padded).fill(0x20)
    withPad.set(headerBytes)
    headerBytes = withPad
  }
  const out = new Uint8Array(PREFIX_BYTES + headerBytes.length + data.length)
  out.set(new TextEncoder().encode(MAGIC), 0)
  new DataView(out.buffer).setUint32(8, headerBytes.length, true)
  out.set(headerBytes, PREFIX_BYTES)
  out.set(data, PREFIX_BYTES + headerBytes.length)
  return out
}

/** One snapshot as a file's bytes. */
export function serializeRunSnapshot(snapshot: RunSnapshot): Uint8Array {
  return serializeRunSnapshots([snapshot])
}

function swap32(bytes: Uint8Array, offset: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const p = offset + i * 4
    const [a, b, c, d] = [bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]] as number[]
    bytes[p] = d as number
    bytes[p + 1] = c as number
    bytes[p + 2] = b as number
    bytes[p + 3] = a as number
  }
}

/**
 * Reads a snapshot file's bytes. Throws {@link RunSnapshotError} for bytes that are not a run
 * snapshot, a file cut short, an unknown (e.g. newer) format version, or a file changed after it
 * was written. `what` names the file in messages.
 */
export function parseRunSnapshots(bytes: Uint8Array, what = 'the file'): RunSnapshot[] {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length))
  if (bytes.length < PREFIX_BYTES || magic !== MAGIC) {
    throw new RunSnapshotError(
      `${what} is not a Stepwise run snapshot (a snapshot file starts with "${MAGIC}")`
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(8, true)
  if (PREFIX_BYTES + headerLength > bytes.length) {
    throw new RunSnapshotError(
      `${what} is truncated: its header needs ${headerLength} bytes but only ${bytes.length - PREFIX_BYTES} follow`
    )
  }
  const headerText = new TextDecoder().decode(
    bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)
  )
  let raw: unknown
  try {
    raw = JSON.parse(headerText)
  } catch (error) {
    throw new RunSnapshotError(
      `${what} is damaged: its header is not valid JSON (${(error as Error).message})`
    )
  }
  const header = raw as Partial<Header> | null
  if (header === null || typeof header !== 'object' || header.format !== RUN_SNAPSHOT_FORMAT) {
    throw new RunSnapshotError(
      `${what} is not a Stepwise run snapshot (its header names the format ${JSON.stringify(header?.format ?? null)})`
    )
  }
  if (!READABLE_RUN_SNAPSHOT_VERSIONS.includes(header.version as number)) {
    const found = JSON.stringify(header.version ?? null)
    const newer = typeof header.version === 'number' && header.version > RUN_SNAPSHOT_VERSION
    throw new RunSnapshotError(
      `${what} is a run snapshot of format version ${found}; this Stepwise reads version ${READABLE_RUN_SNAPSHOT_VERSIONS.join(', ')}${newer ? ' (it was written by a newer Stepwise)' : ''}`
    )
  }
  const dataStart = PREFIX_BYTES + headerLength
  const dataBytes = header.dataBytes
  if (typeof dataBytes !== 'number' || !Number.isInteger(dataBytes) || dataBytes < 0) {
    throw new RunSnapshotError(`${what} is damaged: its header gives no data length`)
  }
  if (bytes.length - dataStart < dataBytes) {
    throw new RunSnapshotError(
      `${what} is truncated: it should hold ${dataBytes} bytes of tensors but has ${bytes.length - dataStart}`
    )
  }
  if (bytes.length - dataStart > dataBytes) {
    throw new RunSnapshotError(
      `${what} is damaged: ${bytes.length - dataStart - dataBytes} bytes follow the end of its tensors`
    )
  }
  const data = bytes.slice(dataStart, dataStart + dataBytes)
  const { checksum, ...unsigned } = header as Header
  if (checksum !== checksumOf(JSON.stringify(unsigned), data)) {
    throw new RunSnapshotError(
      `${what} was changed or damaged after it was written (its checksum does not match its contents)`
    )
  }
  if (!littleEndian) {
    for (const e of unsigned.tensors) swap32(data, e.offset, e.length)
  }
  try {
    const tensors = tableBuffers(unsigned.tensors, data)
    if (!Array.isArray(unsigned.snapshots) || unsigned.snapshots.length === 0) {
      throw new DecodeError('snapshots is not a non-empty list')
    }
    return unsigned.snapshots.map((s, i) => {
      const path = `snapshots[${i}]`
      return checkRunSnapshot(decodeValue(s, path, tensors), path)
    })
  } catch (error) {
    if (error instanceof DecodeError) {
      throw new RunSnapshotError(`${what} is damaged: ${error.message}`)
    }
    throw error
  }
}

/** The last snapshot of a file (the point a stopped run reached). */
export function parseRunSnapshot(bytes: Uint8Array, what = 'the file'): RunSnapshot {
  const all = parseRunSnapshots(bytes, what)
  return all[all.length - 1] as RunSnapshot
}

function tableBuffers(entries: unknown, data: Uint8Array): Float32Array[] {
  if (!Array.isArray(entries)) throw new DecodeError('the tensor table is not a list')
  return entries.map((e: Partial<TensorTableEntry>, i) => {
    const { offset, length } = e ?? {}
    if (
      typeof offset !== 'number' ||
      typeof length !== 'number' ||
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset % 4 !== 0 ||
      offset + length * 4 > data.length
    ) {
      throw new DecodeError(`tensor ${i} of the table lies outside the data`)
    }
    return new Float32Array(data.buffer, data.byteOffset + offset, length).slice()
  })
}
