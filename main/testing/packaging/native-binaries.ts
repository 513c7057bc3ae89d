import { closeSync, openSync, readSync } from 'node:fs'

/** What a native file was built for, read from its header. */
export interface BinaryKind {
  format: 'elf' | 'pe' | 'mach-o' | 'mach-o-universal' | 'unknown'
  /** Node's name for the CPU (`process.arch`), or the header's machine number when unknown. */
  arch: string
}

const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64', 3: 'ia32', 40: 'arm' }
const PE_MACHINES: Record<number, string> = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' }
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64' }

function head(file: string, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes)
  const fd = openSync(file, 'r')
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0))
  } finally {
    closeSync(fd)
  }
}

/**
 * The format and CPU of an executable or shared library (ELF, PE or Mach-O), from its header,
 * so a test can tell a Linux x64 library from a macOS arm64 one without the OS that loads it.
 */
export function binaryKind(file: string): BinaryKind {
  const bytes = head(file, 4096)
  if (bytes.length >= 20 && bytes.readUInt32BE(0) === 0x7f454c46) {
    const machine = bytes.readUInt16LE(18)
    return { format: 'elf', arch: ELF_MACHINES[machine] ?? `elf machine ${machine}` }
  }
  if (bytes.length >= 64 && bytes.toString('latin1', 0, 2) === 'MZ') {
    const pe = bytes.readUInt32LE(0x3c)
    if (pe + 6 <= bytes.length && bytes.readUInt32BE(pe) === 0x50450000) {
      const machine = bytes.readUInt16LE(pe + 4)
      return { format: 'pe', arch: PE_MACHINES[machine] ?? `pe machine 0x${machine.toString(16)}` }
    }
  }
  if (bytes.length >= 8 && bytes.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = bytes.readUInt32LE(4)
    return { format: 'mach-o', arch: MACHO_CPUS[cpu] ?? `mach-o cpu 0x${cpu.toString(16)}` }
  }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xcafebabe) {
    return { format: 'mach-o-universal', arch: 'universal' }
  }
  return { format: 'unknown', arch: 'unknown' }
}

/** The format a platform's native code comes in (`process.platform` names). */
export const NATIVE_FORMAT: Record<'linux' | 'win32' | 'darwin', BinaryKind['format']> = {
  linux: 'elf',
  win32: 'pe',
  darwin: 'mach-o'
}
