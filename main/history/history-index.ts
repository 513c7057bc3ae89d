import { promises as fs } from 'node:fs'
import { z } from 'zod'
import type { HistoryEntry } from '../../shared/contract'
import { IdSchema } from '../../shared/contract'

/** Format version of `index.json`. */
export const HISTORY_INDEX_VERSION = 1

/**
 * The structure every entry must have for the index to count as sound. Loose on purpose inside
 * `params` and `result` (their fields may grow between versions); strict about what the store
 * relies on: ids (they become file names), times and preview steps.
 */
const EntrySchema = z.object({
  id: IdSchema,
  createdAt: z.string().min(1),
  params: z.looseObject({ prompt: z.string() }),
  result: z.looseObject({ seed: z.number(), width: z.number(), height: z.number() }),
  previewSteps: z.array(z.number().int().min(0)),
  snapshotSteps: z.array(z.number().int().min(0)).optional()
})

const IndexSchema = z.object({
  version: z.literal(HISTORY_INDEX_VERSION),
  entries: z.array(EntrySchema)
})

/** What reading `index.json` found. */
export type IndexReadResult =
  | { kind: 'ok'; entries: HistoryEntry[] }
  | { kind: 'missing' }
  /** The file exists but is not a sound index: keep it, never overwrite it. */
  | { kind: 'corrupt'; reason: string }
  /** The file could not be read at all (permissions, I/O error). */
  | { kind: 'unreadable'; reason: string }

/** Reads and checks an index file. Never throws. */
export async function readHistoryIndex(path: string): Promise<IndexReadResult> {
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'unreadable', reason: (error as Error).message }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { kind: 'corrupt', reason: `not valid JSON (${(error as Error).message})` }
  }
  const parsed = IndexSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined ? '' : `${issue.path.join('.') || '(top level)'}: `
    return { kind: 'corrupt', reason: `not a Stepwise history index (${where}${issue?.message})` }
  }
  const ids = new Set<string>()
  for (const entry of parsed.data.entries) {
    if (ids.has(entry.id)) return { kind: 'corrupt', reason: `entry id ${entry.id} appears twice` }
    ids.add(entry.id)
  }
  return { kind: 'ok', entries: parsed.data.entries as unknown as HistoryEntry[] }
}

/** The text written to `index.json`. */
export function serializeHistoryIndex(entries: readonly HistoryEntry[]): string {
  return `${JSON.stringify({ version: HISTORY_INDEX_VERSION, entries }, null, 1)}\n`
}
