/**
 * Largest argument payload an operation accepts, in (approximate) bytes. Generation parameters
 * are a few hundred bytes and prompts are capped at 20 000 characters, so anything near this is
 * an attack or a bug, and is refused before schema validation walks it.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024

/**
 * `putInputImage` carries a picture file: up to the engine's input limit (64 MiB) plus room for
 * the message around it. Every other operation keeps {@link MAX_PAYLOAD_BYTES}.
 */
export const MAX_INPUT_IMAGE_PAYLOAD_BYTES = 64 * 1024 * 1024 + 64 * 1024

/** The largest arguments `operation` accepts. */
export function payloadLimitFor(operation: string): number {
  return operation === 'putInputImage' ? MAX_INPUT_IMAGE_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES
}

/**
 * Estimates the size of a structured-clone value (what Electron IPC delivers) without
 * recursion, and stops as soon as `limit` is exceeded, so a megabytes-long or deeply nested
 * payload costs little to refuse. Strings count 2 bytes per UTF-16 unit, numbers 8.
 */
export function payloadExceeds(value: unknown, limit: number = MAX_PAYLOAD_BYTES): boolean {
  let total = 0
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    if (typeof item === 'string') total += 2 * item.length
    else if (typeof item === 'number' || typeof item === 'bigint') total += 8
    else if (typeof item === 'boolean' || item === null || item === undefined) total += 1
    else if (item instanceof ArrayBuffer) total += item.byteLength
    else if (ArrayBuffer.isView(item)) total += item.byteLength
    else if (Array.isArray(item)) {
      total += 8
      for (const child of item) stack.push(child)
    } else if (typeof item === 'object') {
      total += 8
      for (const [key, child] of Object.entries(item)) {
        total += 2 * key.length
        stack.push(child)
      }
    }
    if (total > limit) return true
  }
  return false
}
