import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from '../app-paths'
import { expandFolderPath } from '../api/create-api'
import { LIBRARY_FILE, ModelLibrary } from '../model-library/model-library'
import { ModelRegistry } from '../model-library/model-registry'
import {
  PREVIEW_DECODERS_FOLDER,
  PreviewDecoderShelf
} from '../model-library/preview-decoder-shelf'
import { NotAModelError, readModelInfo } from '../model-library/read-model-summary'
import type { ModelInfo } from '../../shared/contract'
import { StepwiseError } from '../../shared/errors'
import type { CliIo } from './cli-io'
import { MODELS_HELP } from './help'
import { formatInfo, formatListing } from './models-format'
import { parseFlags, type FlagSpec, type ParsedFlags } from './parse-flags'
import { EXIT_FAILURE, UsageError } from './usage-error'

/**
 * `models list | info | add | remove`: the same model library the app uses (the data folder's
 * model-library.json plus the app's model folders), so a folder added here shows up in the app
 * and the other way round.
 */

/** Flags every `models` subcommand takes. */
const COMMON: readonly FlagSpec[] = [
  { name: 'json', kind: 'boolean' },
  { name: 'data-dir', kind: 'value' },
  { name: 'models-dir', kind: 'value' },
  { name: 'help', kind: 'boolean' }
]

/** The shipped models: resources/models of the checkout (two folders up from out/main or main/cli). */
function shippedModelsDir(): string {
  return resolve(__dirname, '..', '..', 'resources', 'models')
}

async function openRegistry(
  flags: ParsedFlags
): Promise<{ registry: ModelRegistry; notice: string | null }> {
  const flagDir = flags.get('data-dir')
  const modelsDir = flags.get('models-dir')
  const dataDir = typeof flagDir === 'string' ? resolve(flagDir) : defaultUserDataDir()
  const library = await ModelLibrary.open(join(dataDir, LIBRARY_FILE))
  const registry = new ModelRegistry({
    modelDirs: [typeof modelsDir === 'string' ? resolve(modelsDir) : shippedModelsDir()],
    library,
    previewDecoders: new PreviewDecoderShelf(join(dataDir, PREVIEW_DECODERS_FOLDER)),
    graphPassCacheDir: join(dataDir, GRAPH_PASS_CACHE_FOLDER)
  })
  return { registry, notice: library.notice }
}

/** Splits the arguments into positional ones (folder or id) and `--flag [value]` pairs. */
function splitArgs(argv: readonly string[]): { args: string[]; flags: string[] } {
  const valued = new Set(COMMON.filter((f) => f.kind === 'value').map((f) => `--${f.name}`))
  const args: string[] = []
  const flags: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (!a.startsWith('--')) args.push(a)
    else {
      flags.push(a)
      if (valued.has(a) && i + 1 < argv.length) flags.push(argv[++i] as string)
    }
  }
  return { args, flags }
}

/** A folder path or a library id: folders are read directly, ids through the library. */
function looksLikePath(arg: string): boolean {
  return /[\\/]/.test(arg) || arg.startsWith('~') || arg === '.' || existsSync(arg)
}

/** Runs `models <sub> …`; returns the exit code. */
export async function modelsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === 'help') {
    io.out(MODELS_HELP)
    return 0
  }
  if (sub === 'download') {
    const { modelsDownloadCommand } = await import('./models-download-command')
    return modelsDownloadCommand(rest, io)
  }
  if (!['list', 'info', 'add', 'remove'].includes(sub)) {
    throw new UsageError(
      `unknown models command ${JSON.stringify(sub)} (allowed: list, info, add, remove, download)`
    )
  }
  const split = splitArgs(rest)
  if (split.args.length > 1) {
    throw new UsageError(`models ${sub} takes at most one folder or id (got ${split.args.length})`)
  }
  const arg = split.args[0]
  const flags = parseFlags(split.flags, COMMON, `models ${sub}`)
  if (flags.has('help')) {
    io.out(MODELS_HELP)
    return 0
  }
  const json = flags.has('json')
  const { registry, notice } = await openRegistry(flags)
  if (notice !== null) io.err(`warning: ${notice}`)
  try {
    switch (sub) {
      case 'list': {
        if (arg !== undefined) throw new UsageError('models list takes no folder or id')
        const listing = await registry.listing()
        if (json) io.out(JSON.stringify(listing))
        else for (const line of formatListing(listing)) io.out(line)
        return 0
      }
      case 'info': {
        if (arg === undefined) throw new UsageError('models info needs a model folder or id')
        const info = looksLikePath(arg)
          ? await infoOfFolder(registry, arg)
          : await registry.info(arg)
        if (json) io.out(JSON.stringify(info))
        else for (const line of formatInfo(info)) io.out(line)
        return 0
      }
      case 'add': {
        if (arg === undefined) throw new UsageError('models add needs a model folder')
        const added = await registry.add(expandFolderPath(arg))
        if (json) io.out(JSON.stringify(added))
        else io.out(`${added.id}  (${added.familyLabel}, ${added.precision})  ${added.path}`)
        return 0
      }
      default: {
        if (arg === undefined) throw new UsageError('models remove needs a model id')
        await registry.remove(arg)
        if (!json) io.out(`removed ${arg} from the library (its files are still in place)`)
        else io.out(JSON.stringify({ removed: arg }))
        return 0
      }
    }
  } catch (error) {
    if (!(error instanceof StepwiseError) && !(error instanceof NotAModelError)) throw error
    if (json && error instanceof NotAModelError) {
      io.out(
        JSON.stringify({
          path: error.dir,
          supported: false,
          pipelineClass: error.pipelineClass,
          message: error.message
        })
      )
    }
    io.err(`error: ${error.message}`)
    return EXIT_FAILURE
  }
}

/** Info on a folder: through the library when it is listed there, else read directly. */
async function infoOfFolder(registry: ModelRegistry, arg: string): Promise<ModelInfo> {
  const dir = expandFolderPath(arg)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`no such folder ${JSON.stringify(arg)}`)
  }
  const listed = (await registry.list()).find((m) => m.path === dir)
  if (listed !== undefined) return registry.info(listed.id)
  return readModelInfo(
    dir,
    { id: '(not in the library)', source: 'added' },
    { graphPassCacheDir: registry.graphPassCacheDir }
  )
}
