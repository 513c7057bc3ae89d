import { promises as fs } from 'node:fs'
import type { FormStateRecord } from '../../shared/contract'
import { FormStateSchema } from '../../shared/contract'
import { writeFileAtomic } from '../engine'

/**
 * The generate form as the user left it, in `<dataDir>/form-state.json`, so a reload or a
 * restart (whichever port the browser-mode server gets) opens the form as it was. Writes are
 * atomic and serialised, the last one winning; an unreadable file is treated as absent.
 */
export class FormStateFile {
  private chain: Promise<void> = Promise.resolve()

  constructor(readonly file: string) {}

  /** The saved form, or null when none was saved (or the file cannot be read). */
  async load(): Promise<FormStateRecord | null> {
    await this.chain
    let text: string
    try {
      text = await fs.readFile(this.file, 'utf8')
    } catch {
      return null
    }
    try {
      const parsed = FormStateSchema.safeParse(JSON.parse(text))
      return parsed.success ? parsed.data : null
    } catch {
      return null
    }
  }

  /** Replaces the saved form. */
  save(state: FormStateRecord): Promise<void> {
    const write = this.chain
      .catch(() => undefined)
      .then(() => writeFileAtomic(this.file, `${JSON.stringify(state)}\n`))
    this.chain = write
    return write
  }
}
