import { version } from '../../package.json'
import type { CliIo } from './cli-io'
import { processIo } from './cli-io'
import { parseGenerateOptions } from './generate-options'
import { GENERATE_HELP, MAIN_HELP } from './help'
import { EXIT_FAILURE, EXIT_USAGE, UsageError, oneLine } from './usage-error'

/**
 * The CLI's entry point as a function: dispatches the command and turns every error into one
 * `error: …` line and an exit code (2: invalid arguments, 1: failed while running), never a
 * stack trace. Tests call it in-process with their own {@link CliIo}.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined) {
      io.err(MAIN_HELP)
      return EXIT_USAGE
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(MAIN_HELP)
      return 0
    }
    if (command === '--version') {
      io.out(version)
      return 0
    }
    // The engine (onnxruntime, tokenizers) is loaded only once it is needed, so --help and
    // argument errors answer at once.
    if (command === 'capabilities') {
      const { capabilitiesCommand } = await import('./capabilities-command')
      return await capabilitiesCommand(rest, version, io)
    }
    if (command === 'models') {
      const { modelsCommand } = await import('./models-command')
      return await modelsCommand(rest, io)
    }
    if (command === 'generate') {
      const parsed = parseGenerateOptions(rest)
      if (parsed === null) {
        io.out(GENERATE_HELP)
        return 0
      }
      let options = parsed
      if (parsed.libraryId !== null) {
        const { resolveLibraryModel } = await import('./model-folders')
        options = { ...parsed, modelDir: await resolveLibraryModel(parsed.libraryId) }
      }
      const { generateCommand } = await import('./generate-command')
      return await generateCommand(options, io)
    }
    throw new UsageError(
      `unknown command ${JSON.stringify(command)} (allowed: generate, models, capabilities; see --help)`
    )
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${oneLine(error.message)}`)
      return EXIT_USAGE
    }
    io.err(`error: ${oneLine(error instanceof Error ? error.message : String(error))}`)
    return EXIT_FAILURE
  }
}
