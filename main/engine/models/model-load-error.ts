/**
 * A model folder that cannot be used: a missing or unreadable file, a config that is not JSON, an
 * unknown pipeline class, an ONNX graph whose inputs or outputs Stepwise cannot feed or read.
 * The message names the file and says what was expected, so a user can fix the folder.
 */
export class ModelLoadError extends Error {
  /** The file (or folder) the problem is about. */
  readonly path: string

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ModelLoadError'
    this.path = path
  }
}
