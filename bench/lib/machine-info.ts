import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

/** The machine a result came from: what it is, and how busy it was when the run started. */
export interface MachineInfo {
  cpu: string
  cores: number
  ramGiB: number
  os: string
  node: string
  onnxruntime: string
  /** `os.loadavg()` (1, 5, 15 minutes) when the benchmark started. */
  loadAverageAtStart: [number, number, number]
  /** `os.loadavg()` when it ended: a run on a machine that got busier meanwhile says so. */
  loadAverageAtEnd?: [number, number, number]
}

const ROOT = join(__dirname, '..', '..')

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8')
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1]
    if (pretty !== undefined) return `${pretty} (${os.type()} ${os.release()})`
  } catch {
    // Not Linux, or no os-release: the kernel's own name is still useful.
  }
  return `${os.type()} ${os.release()}`
}

function onnxruntimeVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')
  ) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

/** The load average, rounded to what `uptime` shows. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = os.loadavg()
  const r = (v: number | undefined): number => Math.round((v ?? 0) * 100) / 100
  return [r(a), r(b), r(c)]
}

/** Describes this machine now. */
export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    onnxruntime: onnxruntimeVersion(),
    loadAverageAtStart: loadAverage()
  }
}

/** A short file-name slug for a machine, e.g. `amd-epyc-2c-24gb`. */
export function machineSlug(info: MachineInfo): string {
  const cpu = info.cpu
    .toLowerCase()
    .replace(/\(r\)|\(tm\)|cpu|processor|@.*$/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .split('-')
    .slice(0, 4)
    .join('-')
  return `${cpu || 'cpu'}-${info.cores}c-${Math.round(info.ramGiB)}gb`
}
