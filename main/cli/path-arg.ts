import { existsSync } from 'node:fs'

/**
 * Whether a model argument names a folder rather than a library id: it has a path separator,
 * starts with `~` or is `.`/`..`, or a file or folder of that name exists where the command runs.
 * Kept free of the model library's imports so argument parsing stays instant.
 */
export function looksLikePath(arg: string): boolean {
  return /[\\/]/.test(arg) || arg.startsWith('~') || arg === '.' || arg === '..' || existsSync(arg)
}
