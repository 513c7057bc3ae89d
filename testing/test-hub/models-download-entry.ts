/**
 * `models download` as a process of its own, until the CLI wires the command:
 *
 *   node --import tsx testing/test-hub/models-download-entry.ts REPO --dest DIR [--endpoint URL]
 *
 * The restart test kills it mid-file to check that a new process resumes from the `.part` file;
 * e2e and bench scripts can use it against the test hub (see serve.ts). Ctrl-C cancels cleanly.
 */
import { runModelsDownload } from '../../main/hub/run-models-download'

async function main(): Promise<void> {
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  process.once('SIGTERM', () => controller.abort())
  process.exitCode = await runModelsDownload(
    process.argv.slice(2),
    {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`)
    },
    { modelsDir: process.cwd(), env: process.env, signal: controller.signal, progressEveryMs: 0 }
  )
}

void main()
