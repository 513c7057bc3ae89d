import { formatBytes } from '../../shared/format-bytes'
import path from 'node:path'
import { downloadModel, HubError, validateRepoId } from '../engine'
import type { DownloadEvent, DownloadResult } from '../engine'
import { findKnownModel, KNOWN_ONNX_MODELS } from './known-models'
import { findKnownPreviewDecoder, KNOWN_PREVIEW_DECODERS } from './known-preview-decoders'

/** Where `models download` writes: stdout for results, stderr for progress and errors. */
export interface ModelsDownloadIo {
  out(line: string): void
  err(line: string): void
}

/** What the command needs from its host. */
export interface ModelsDownloadContext {
  /** Default parent of the destination (`<modelsDir>/<owner>--<name>[--<revision>]`). */
  modelsDir: string
  /**
   * Default parent for the known TAESD preview decoders (KNOWN_PREVIEW_DECODERS), which are not
   * models; default: `modelsDir`.
   */
  previewDecodersDir?: string
  /** HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) and HF_ENDPOINT are read from here; default process.env. */
  env?: Readonly<Record<string, string | undefined>>
  /** Fired on Ctrl-C by the host; the download stops and keeps its partial files. */
  signal?: AbortSignal
  /** Milliseconds between progress lines; default 1000. */
  progressEveryMs?: number
  /**
   * Called with the finished download before the result is printed — the place to add the
   * folder to the model library. A throw is reported as the command's error (exit 1).
   */
  onDownloaded?: (
    result: DownloadResult,
    contents: 'pipeline' | 'preview-decoder'
  ) => Promise<void> | void
}

/** Exit codes, as the rest of the CLI uses them. */
export const EXIT_OK = 0
/** The download ran and failed. */
export const EXIT_FAILURE = 1
/** The arguments were wrong; nothing was fetched. */
export const EXIT_USAGE = 2
/** Cancelled (Ctrl-C); partial files were kept. */
export const EXIT_CANCELLED = 130

/** `models download --help`. */
export const MODELS_DOWNLOAD_HELP = `Usage: models download REPO [--revision R] [--dest DIR] [--endpoint URL] [--json]
       models download --known KEY [--dest DIR] [--json]
       models download --list

Downloads the ONNX diffusion pipeline of a Hugging Face Hub repository: only the files the
pipeline needs, resumable (run the same command again after a cut or Ctrl-C), with every size and
hash verified before the folder is marked usable. The known TAESD preview decoders (see --list:
deinferno/taesd-onnx, julienkay/taesd, julienkay/taesdxl) are fetched as preview decoders: only
their vae_decoder/, which gives the models of their family tiny previews.

  REPO            repository id, e.g. onnx-community/stable-diffusion-v1-5-ONNX
  --revision R    branch, tag or commit (default main)
  --known KEY     a curated model instead of REPO (see --list)
  --dest DIR      destination folder (default: <models folder>/<owner>--<name>)
  --endpoint URL  Hub endpoint (default $HF_ENDPOINT, else https://huggingface.co)
  --json          print the result as one JSON object on stdout
  --list          print the curated ONNX models and preview decoders and exit

Gated or private repositories need an access token in the HF_TOKEN environment variable; it is
never accepted on the command line (where other users and shell history could see it).`

const VALUE_FLAGS = new Set(['revision', 'dest', 'endpoint', 'known'])
const BOOLEAN_FLAGS = new Set(['json', 'list', 'help'])

/**
 * `models download`, as a function the CLI calls with the words after `models download`.
 * Returns the exit code; prints progress to stderr and the result to stdout.
 */
export async function runModelsDownload(
  args: readonly string[],
  io: ModelsDownloadIo,
  context: ModelsDownloadContext
): Promise<number> {
  let parsed: ParsedArgs
  try {
    parsed = parseArgs(args)
  } catch (error) {
    io.err(`error: ${(error as Error).message}`)
    return EXIT_USAGE
  }
  const flags = parsed.flags
  if (flags.has('help')) {
    io.out(MODELS_DOWNLOAD_HELP)
    return EXIT_OK
  }
  if (flags.has('list')) {
    printKnown(io, flags.has('json'))
    return EXIT_OK
  }

  const known = flags.get('known')
  let repo: string
  let revision: string
  try {
    if (typeof known === 'string') {
      if (parsed.repo !== undefined) throw new Error('give either REPO or --known, not both')
      const entry = findKnownModel(known) ?? KNOWN_PREVIEW_DECODERS.find((d) => d.key === known)
      if (entry === undefined) {
        const keys = [...KNOWN_ONNX_MODELS, ...KNOWN_PREVIEW_DECODERS].map((m) => m.key)
        throw new Error(`unknown --known ${JSON.stringify(known)} (known: ${keys.join(', ')})`)
      }
      repo = entry.repo
      revision =
        typeof flags.get('revision') === 'string' ? String(flags.get('revision')) : entry.revision
    } else {
      if (parsed.repo === undefined)
        throw new Error('models download needs a REPO (or --known KEY; see --help)')
      repo = validateRepoId(parsed.repo)
      revision = typeof flags.get('revision') === 'string' ? String(flags.get('revision')) : 'main'
    }
  } catch (error) {
    io.err(`error: ${(error as Error).message}`)
    return EXIT_USAGE
  }

  const env = context.env ?? process.env
  const contents = findKnownPreviewDecoder(repo) === undefined ? 'pipeline' : 'preview-decoder'
  const parent =
    contents === 'preview-decoder'
      ? (context.previewDecodersDir ?? context.modelsDir)
      : context.modelsDir
  const destFlag = flags.get('dest')
  const dest =
    typeof destFlag === 'string'
      ? path.resolve(destFlag)
      : path.join(parent, defaultFolderName(repo, revision))
  const token = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined
  const endpoint = flags.get('endpoint')
  const json = flags.has('json')
  const progress = progressPrinter(io, context.progressEveryMs ?? 1000)

  try {
    const result = await downloadModel({
      repo,
      revision,
      dest,
      accessToken: token,
      endpoint: typeof endpoint === 'string' ? endpoint : undefined,
      env,
      signal: context.signal,
      onEvent: progress,
      contents
    })
    await context.onDownloaded?.(result, contents)
    if (json) {
      io.out(JSON.stringify(result))
    } else {
      io.out(
        `downloaded ${result.repo}@${result.revision} (commit ${result.commit.slice(0, 10)}) to ${result.dest}: ${result.files.length} files, ${formatBytes(result.totalBytes)}`
      )
    }
    return EXIT_OK
  } catch (error) {
    if (error instanceof HubError) {
      io.err(`error: ${error.message}`)
      if (error.code === 'aborted') return EXIT_CANCELLED
      if (error.code === 'invalid-argument') return EXIT_USAGE
      return EXIT_FAILURE
    }
    if (error instanceof Error) {
      io.err(`error: ${error.message}`)
      return EXIT_FAILURE
    }
    throw error
  }
}

/** `owner--name`, plus `--revision` when it is not main (a branch holds another export). */
export function defaultFolderName(repo: string, revision: string): string {
  const base = repo.replace('/', '--')
  return revision === 'main' ? base : `${base}--${revision.replace(/[^A-Za-z0-9._-]/g, '_')}`
}

interface ParsedArgs {
  repo?: string
  flags: Map<string, string | true>
}

function parseArgs(args: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>()
  let repo: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    if (!arg.startsWith('--')) {
      if (repo !== undefined)
        throw new Error(`unexpected argument ${JSON.stringify(arg)} (one REPO only)`)
      repo = arg
      continue
    }
    const eq = arg.indexOf('=')
    const name = arg.slice(2, eq < 0 ? undefined : eq)
    if (name === 'token') {
      throw new Error('--token is not accepted: put the token in the HF_TOKEN environment variable')
    }
    if (!VALUE_FLAGS.has(name) && !BOOLEAN_FLAGS.has(name)) {
      throw new Error(
        `unknown option --${name} for models download (allowed: ${[...VALUE_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(', ')})`
      )
    }
    if (flags.has(name)) throw new Error(`--${name} is given more than once`)
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq >= 0) throw new Error(`--${name} takes no value`)
      flags.set(name, true)
      continue
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new Error(`--${name} needs a value`)
    }
    flags.set(name, value)
  }
  return { repo, flags }
}

function printKnown(io: ModelsDownloadIo, json: boolean): void {
  if (json) {
    io.out(
      JSON.stringify([
        ...KNOWN_ONNX_MODELS,
        ...KNOWN_PREVIEW_DECODERS.map((d) => ({ ...d, kind: 'preview-decoder' }))
      ])
    )
    return
  }
  for (const m of KNOWN_ONNX_MODELS) {
    const rev = m.revision === 'main' ? '' : ` --revision ${m.revision}`
    const gpu = m.requiresProvider === undefined ? '' : `, needs ${m.requiresProvider}`
    io.out(`${m.key.padEnd(12)} ${m.repo}${rev} (${m.precision}, ~${m.approxDownloadGB} GB${gpu})`)
    io.out(`${' '.repeat(13)}${m.note}`)
  }
  io.out('')
  io.out('Preview decoders (tiny previews for the models of their family):')
  for (const d of KNOWN_PREVIEW_DECODERS) {
    io.out(`${d.key.padEnd(12)} ${d.repo} (${d.families.join(', ')}, ~${d.approxDownloadMB} MB)`)
    io.out(`${' '.repeat(13)}${d.note}`)
  }
}

/** Stderr lines: retries and restarts as they happen, progress at most every `everyMs`. */
function progressPrinter(io: ModelsDownloadIo, everyMs: number): (event: DownloadEvent) => void {
  let last = -Infinity
  return (event) => {
    switch (event.type) {
      case 'resolved':
        io.err(`${event.repo}@${event.revision} is commit ${event.commit}`)
        break
      case 'plan': {
        const left = event.totalBytes - event.alreadyDoneBytes
        io.err(
          `${event.files.length} files, ${formatBytes(event.totalBytes)} (${formatBytes(left)} to fetch); ${event.skipped.length} files not needed`
        )
        break
      }
      case 'progress': {
        const now = Date.now()
        if (now - last < everyMs) break
        last = now
        const pct = event.totalBytes === 0 ? 100 : (100 * event.doneBytes) / event.totalBytes
        const eta = event.etaSeconds === null ? '?' : formatDuration(event.etaSeconds)
        io.err(
          `[${pct.toFixed(0).padStart(3)}%] ${formatBytes(event.doneBytes)} / ${formatBytes(event.totalBytes)}  ${formatBytes(event.bytesPerSecond)}/s  ETA ${eta}  ${event.path}`
        )
        break
      }
      case 'retry':
        io.err(
          `retry ${event.retry}/${event.retries} in ${(event.delayMs / 1000).toFixed(1)} s${event.path === null ? '' : ` (${event.path})`}: ${event.reason}`
        )
        break
      case 'file-restart':
        io.err(`${event.path}: ${event.reason}`)
        break
      default:
        break
    }
  }
}

/** 125 → "2m05s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}
