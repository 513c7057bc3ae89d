import { join, resolve } from 'node:path'
import { defaultUserDataDir } from '../app-paths'
import { runModelsDownload, MODELS_DOWNLOAD_HELP } from '../hub'
import { LIBRARY_FILE, ModelLibrary } from '../model-library/model-library'
import { ModelRegistry } from '../model-library/model-registry'
import {
  PREVIEW_DECODERS_FOLDER,
  PreviewDecoderShelf
} from '../model-library/preview-decoder-shelf'
import type { CliIo } from './cli-io'
import { UsageError } from './usage-error'

/**
 * `models download REPO [--revision R] [--dest DIR] [--token-env VAR] [--data-dir DIR]`: the Hub
 * module's command (progress with bytes, rate and ETA on stderr; resumable; verified), writing
 * into `<data folder>/models/` by default, and adding the finished folder to the app's model
 * library as a downloaded model.
 *
 * The access token is read from an environment variable only — `HF_TOKEN` by default, or the one
 * `--token-env` names — never from the command line, where shell history and `ps` would show it.
 */

/** Extra options this wrapper takes before handing the rest to the Hub module. */
export const DOWNLOAD_WRAPPER_HELP = `
Stepwise options:
  --token-env VAR  read the access token from the environment variable VAR instead of HF_TOKEN
  --data-dir DIR   the data folder whose model library receives the model, and whose models/
                   folder is the default destination (default: the app's own data folder)`

/** Removes `--name VALUE` / `--name=VALUE` from `argv`; returns the value (or undefined). */
function takeValue(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return undefined
  const arg = argv[i] as string
  const inline = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : undefined
  const value = inline ?? argv[i + 1]
  argv.splice(i, inline === undefined ? 2 : 1)
  if (value === undefined || value === '' || value.startsWith('--')) {
    throw new UsageError(`--${name} needs a value`)
  }
  if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) {
    throw new UsageError(`--${name} is given more than once`)
  }
  return value
}

/** Runs `models download …`; returns the exit code (130 when cancelled with Ctrl-C). */
export async function modelsDownloadCommand(
  argv: readonly string[],
  io: CliIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
  signal?: AbortSignal
): Promise<number> {
  const args = [...argv]
  if (args.includes('--help')) {
    io.out(`${MODELS_DOWNLOAD_HELP}\n${DOWNLOAD_WRAPPER_HELP}`)
    return 0
  }
  const tokenEnv = takeValue(args, 'token-env')
  const dataDirFlag = takeValue(args, 'data-dir')
  const dataDir = dataDirFlag === undefined ? defaultUserDataDir() : resolve(dataDirFlag)
  let downloadEnv = env
  if (tokenEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) {
      throw new UsageError(`--token-env: ${JSON.stringify(tokenEnv)} is not a variable name`)
    }
    const token = env[tokenEnv]
    if (token === undefined || token.trim() === '') {
      throw new UsageError(`--token-env: the environment variable ${tokenEnv} is not set`)
    }
    downloadEnv = { ...env, HF_TOKEN: token, HUGGING_FACE_HUB_TOKEN: undefined }
  }

  const controller = new AbortController()
  const onSigint = (): void => controller.abort()
  if (signal === undefined) process.once('SIGINT', onSigint)
  else signal.addEventListener('abort', onSigint, { once: true })
  try {
    return await runModelsDownload(args, io, {
      modelsDir: join(dataDir, 'models'),
      previewDecodersDir: join(dataDir, PREVIEW_DECODERS_FOLDER),
      env: downloadEnv,
      signal: controller.signal,
      onDownloaded: async (result, contents) => {
        const library = await ModelLibrary.open(join(dataDir, LIBRARY_FILE))
        const shelf = new PreviewDecoderShelf(join(dataDir, PREVIEW_DECODERS_FOLDER))
        const registry = new ModelRegistry({ modelDirs: [], library, previewDecoders: shelf })
        if (contents === 'preview-decoder') {
          const users = (await registry.list()).filter(
            (m) => m.previews.decoder?.path === result.dest
          )
          io.err(
            `tiny previews for ${users.length === 0 ? 'the library models of its family (none yet)' : users.map((m) => m.id).join(', ')}`
          )
          return
        }
        const added = await registry.add(result.dest, {
          source: 'downloaded',
          repo: result.repo,
          revision: result.revision
        })
        io.err(`in the model library as ${added.id} (${added.familyLabel}, ${added.precision})`)
      }
    })
  } finally {
    process.off('SIGINT', onSigint)
  }
}
