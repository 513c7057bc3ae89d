import { z } from 'zod'
import type { OperationName } from '../channels'
import { parseHubUrl } from '../hub-url'
import {
  CfgCutoffSchema,
  CfgIntervalSchema,
  GenerateParamsSchema,
  InputImageIdSchema,
  LIMITS
} from '../params'

/**
 * The argument schemas of every operation. Main applies them to each call from a renderer before
 * any handler runs, so handlers only ever see validated values.
 */

/** Job and history ids are short opaque tokens, never paths. */
export const IdSchema = z
  .string({ error: 'must be an id string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id of 1–64 letters, digits, "-" or "_"')

/**
 * A folder path typed, pasted, dropped or picked by the user: absolute (`/…`, `C:\…`, `\\server\…`)
 * or starting with `~` (the home folder); main's working folder means nothing to a user.
 */
export const FolderPathSchema = z
  .string({ error: 'must be a folder path' })
  .trim()
  .min(1, 'must be a folder path')
  .max(4096, 'must be at most 4096 characters')
  .refine((p) => !p.includes('\0'), 'must not contain NUL characters')
  .refine(
    (p) => /^(\/|~([\\/]|$)|[A-Za-z]:[\\/]|\\\\)/.test(p),
    'must be an absolute folder path (or start with ~)'
  )

/** A Hub repository id: `owner/name`, as the Hub allows them. */
const RepoIdSchema = z
  .string({ error: 'must be a repository id' })
  .trim()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/,
    'must be a Hugging Face repository id like owner/name'
  )

/**
 * A pasted Hub page URL in `repo` becomes the repository it names, and its revision (`/tree/fp16`)
 * unless one is given.
 */
function readPastedHubUrl(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const request = value as Record<string, unknown>
  const ref = typeof request['repo'] === 'string' ? parseHubUrl(request['repo']) : null
  if (ref === null) return value
  return {
    ...request,
    repo: ref.repo,
    ...(request['revision'] === undefined && ref.revision !== undefined
      ? { revision: ref.revision }
      : {})
  }
}

/** Arguments of `startDownload`. */
export const DownloadRequestSchema = z.preprocess(
  readPastedHubUrl,
  z.strictObject({
    repo: RepoIdSchema,
    revision: z
      .string({ error: 'must be a branch, tag or commit' })
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/, 'must be a branch, tag or commit name')
      .refine((r) => !r.includes('..'), 'must not contain ".."')
      .optional(),
    token: z
      .string({ error: 'must be text' })
      .max(512, 'must be at most 512 characters')
      .regex(/^[\x21-\x7e]*$/, 'must be printable ASCII without spaces')
      .optional()
  })
)

/** Most fields a saved form may have, and the longest text one may hold. */
const FORM_STATE_LIMITS = { fields: 64, chars: 20_000 } as const

/** A saved form: a flat record of short keys and plain values. */
export const FormStateSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be a field name'),
    z.union([
      z
        .string()
        .max(FORM_STATE_LIMITS.chars, `must be at most ${FORM_STATE_LIMITS.chars} characters`),
      z.number().refine(Number.isFinite, 'must be a finite number'),
      z.boolean()
    ])
  )
  .refine((r) => Object.keys(r).length <= FORM_STATE_LIMITS.fields, {
    message: `must have at most ${FORM_STATE_LIMITS.fields} fields`
  })

/** Largest preview step index a history request may name. */
const MAX_STEP_INDEX = 10_000

/** Argument schemas per operation, applied in main before any handler runs. */
export const operationArgs = {
  getCapabilities: z.tuple([]),
  listModels: z.tuple([]),
  modelLibrary: z.tuple([]),
  addModel: z.tuple([FolderPathSchema]),
  removeModel: z.tuple([IdSchema]),
  modelInfo: z.tuple([IdSchema]),
  pickModelFolder: z.tuple([]),
  knownModels: z.tuple([]),
  startDownload: z.tuple([DownloadRequestSchema]),
  cancelDownload: z.tuple([IdSchema]),
  dismissDownload: z.tuple([IdSchema]),
  listDownloads: z.tuple([]),
  inferenceStatus: z.tuple([]),
  planRun: z.tuple([GenerateParamsSchema]),
  generate: z.tuple([GenerateParamsSchema]),
  stop: z.tuple([IdSchema]),
  stopNow: z.tuple([IdSchema]),
  setCfgCutoff: z.tuple([IdSchema, CfgCutoffSchema.nullable()]),
  setCfgInterval: z.tuple([IdSchema, CfgIntervalSchema.nullable()]),
  setGuidanceScale: z.tuple([
    IdSchema,
    z
      .number({ error: 'must be a number' })
      .refine((v) => Number.isFinite(v) && v > 1 && v <= LIMITS.guidanceScale.max, {
        error: (iss) =>
          `must be a guidance scale above 1 and at most ${LIMITS.guidanceScale.max} (got ${String(iss.input)}); to turn guidance off, move the end of the guidance range`
      })
  ]),
  listJobs: z.tuple([]),
  liveJob: z.tuple([]),
  countTokens: z.tuple([
    z.string({ error: 'must be a model id' }).min(1, 'must be a model id').max(4096),
    z.string({ error: 'must be text' }).max(20_000, 'must be at most 20000 characters')
  ]),
  historyList: z.tuple([]),
  historyGet: z.tuple([IdSchema]),
  historyDelete: z.tuple([IdSchema]),
  historyImage: z.tuple([
    z.strictObject({
      id: IdSchema,
      step: z
        .number({ error: 'must be a step index' })
        .int('must be an integer step index')
        .min(0, 'must be 0 or more')
        .max(MAX_STEP_INDEX, `must be at most ${MAX_STEP_INDEX}`)
        .optional()
    })
  ]),
  showHistoryFile: z.tuple([IdSchema]),
  loadFormState: z.tuple([]),
  saveFormState: z.tuple([FormStateSchema]),
  putInputImage: z.tuple([
    z.instanceof(Uint8Array, { error: 'must be the bytes of a PNG or JPEG file' })
  ]),
  inputImage: z.tuple([InputImageIdSchema])
} satisfies Record<OperationName, z.ZodType<unknown[]>>
