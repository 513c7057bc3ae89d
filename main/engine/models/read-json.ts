import { promises as fs } from 'node:fs'
import { ModelLoadError } from './model-load-error'

/** A parsed JSON object (not an array or a primitive). */
export type JsonObject = Record<string, unknown>

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT'
}

/** True if a file exists (and is readable enough to stat). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * Reads a JSON object file. Errors name the file and say whether it is missing, unreadable,
 * not JSON, or JSON of the wrong kind; `what` describes the file's role for the message.
 */
export async function readJsonObject(path: string, what: string): Promise<JsonObject> {
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (error) {
    throw new ModelLoadError(
      path,
      isMissing(error)
        ? `${what} is missing: ${path} does not exist`
        : `${what} could not be read (${path}): ${(error as Error).message}`,
      { cause: error }
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new ModelLoadError(
      path,
      `${what} is not valid JSON (${path}): ${(error as Error).message}`,
      {
        cause: error
      }
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelLoadError(
      path,
      `${what} must hold a JSON object, but ${path} holds ${describe(value)}`
    )
  }
  return value as JsonObject
}

/** Like {@link readJsonObject}, but returns null when the file does not exist. */
export async function readOptionalJsonObject(
  path: string,
  what: string
): Promise<JsonObject | null> {
  if (!(await fileExists(path))) return null
  return readJsonObject(path, what)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/** Reads an optional number field; a present non-number is an error naming the key and file. */
export function optionalNumber(obj: JsonObject, key: string, path: string): number | null {
  const v = obj[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelLoadError(
      path,
      `"${key}" in ${path} must be a number, but it is ${JSON.stringify(v)}`
    )
  }
  return v
}

/** Reads an optional array of numbers. */
export function optionalNumberArray(obj: JsonObject, key: string, path: string): number[] | null {
  const v = obj[key]
  if (v === undefined || v === null) return null
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new ModelLoadError(
      path,
      `"${key}" in ${path} must be a list of numbers, but it is ${JSON.stringify(v)}`
    )
  }
  return v as number[]
}

/** Reads an optional boolean field. */
export function optionalBoolean(obj: JsonObject, key: string, path: string): boolean | null {
  const v = obj[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'boolean') {
    throw new ModelLoadError(
      path,
      `"${key}" in ${path} must be true or false, but it is ${JSON.stringify(v)}`
    )
  }
  return v
}

/** Reads an optional string field. */
export function optionalString(obj: JsonObject, key: string, path: string): string | null {
  const v = obj[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') {
    throw new ModelLoadError(
      path,
      `"${key}" in ${path} must be a string, but it is ${JSON.stringify(v)}`
    )
  }
  return v
}
