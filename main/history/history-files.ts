import { join, resolve, sep } from 'node:path'
import { IdSchema } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'

/**
 * Where history lives inside `<dataDir>/history/`, and the one place that turns an entry id into
 * a path. Ids are opaque tokens checked against {@link IdSchema}; a path is only ever built from
 * a checked id and a step number, and is verified to stay inside the history folder.
 *
 * ```
 * history/index.json                   the index (written atomically)
 * history/images/<id>.png              final images, with the A1111 `parameters` chunk
 * history/previews/<id>/<step>.png     kept step previews (keepPreviews)
 * history/inputs/<sha256>.png          input pictures and masks of image runs, by content (input-images.ts)
 * history/states/<id>.stepwise-state   kept run state (a run snapshot file) to continue or branch
 * history/index.corrupt-<time>.json    an unreadable index, kept aside for the user
 * ```
 */
export class HistoryFiles {
  readonly dir: string
  readonly indexFile: string
  readonly imagesDir: string
  readonly previewsDir: string
  readonly statesDir: string

  constructor(historyDir: string) {
    this.dir = resolve(historyDir)
    this.indexFile = join(this.dir, 'index.json')
    this.imagesDir = join(this.dir, 'images')
    this.previewsDir = join(this.dir, 'previews')
    this.statesDir = join(this.dir, 'states')
  }

  /** The kept run state of entry `id` (a run snapshot file). */
  state(id: string): string {
    return this.inside(join(this.statesDir, `${checkedId(id)}.stepwise-state`))
  }

  /** The final image of entry `id`. */
  image(id: string): string {
    return this.inside(join(this.imagesDir, `${checkedId(id)}.png`))
  }

  /** The folder of entry `id`'s kept previews. */
  previewFolder(id: string): string {
    return this.inside(join(this.previewsDir, checkedId(id)))
  }

  /** One kept preview of entry `id`. */
  preview(id: string, step: number): string {
    if (!Number.isInteger(step) || step < 0) {
      throw new StepwiseError('invalid-argument', `step must be an integer ≥ 0, got ${step}`)
    }
    return this.inside(join(this.previewFolder(id), `${step}.png`))
  }

  /** Where a corrupt index is moved so it is kept, not overwritten. */
  corruptIndexAside(now: Date): string {
    return join(this.dir, `index.corrupt-${now.toISOString().replace(/[:.]/g, '-')}.json`)
  }

  private inside(path: string): string {
    if (!path.startsWith(this.dir + sep)) {
      throw new StepwiseError('forbidden', 'history paths must stay inside the history folder')
    }
    return path
  }
}

function checkedId(id: string): string {
  if (!IdSchema.safeParse(id).success) {
    throw new StepwiseError('invalid-argument', `not a history id: ${JSON.stringify(id)}`)
  }
  return id
}

/**
 * Says in plain words why a history write failed, for the UI (`historyError`) and the log:
 * read-only folders and full disks are the common cases and have well-known fixes.
 */
export function describeWriteFailure(error: unknown, dir: string): string {
  const code = (error as NodeJS.ErrnoException | null)?.code
  const detail = (error as Error | null)?.message ?? String(error)
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `could not save to history: the folder ${dir} is read-only or not writable (${code}); the result was not stored`
    case 'ENOSPC':
    case 'EDQUOT':
      return `could not save to history: the disk holding ${dir} is full (${code}); free some space and generate again`
    default:
      return `could not save to history in ${dir}: ${detail}`
  }
}
