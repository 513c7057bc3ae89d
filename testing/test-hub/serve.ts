/**
 * Runs the test hub as a process, for e2e tests, benchmarks and trying the download by hand:
 *
 *   node --import tsx testing/test-hub/serve.ts \
 *     --repo stepwise/tiny-sd=fixtures/models/tiny-sd-random \
 *     [--repo stepwise/tiny-sd@onnx=fixtures/models/tiny-sd-legacy] \
 *     [--gated stepwise/tiny-sd=hf_token] [--port 0] [--fault '{"kind":"cut","afterBytes":100000}']
 *
 * Prints one JSON line `{"endpoint": "http://127.0.0.1:PORT", "cdn": "http://127.0.0.1:PORT"}`
 * once listening (use `endpoint` as HF_ENDPOINT), then serves until SIGINT or SIGTERM.
 */
import path from 'node:path'
import type { Fault } from './fault-rules'
import { startTestHub, type TestHubRepo } from './test-hub-server'

const FAULT_KINDS = new Set(['status', 'cut', 'stall', 'ignore-range', 'wrong-range', 'corrupt'])

function parse(argv: readonly string[]): {
  repos: TestHubRepo[]
  port: number
  faults: Fault[]
} {
  const repos: TestHubRepo[] = []
  const tokens = new Map<string, string>()
  const faults: Fault[] = []
  let port = 0
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = argv[i + 1]
    if (value === undefined) throw new Error(`${flag} needs a value`)
    if (flag === '--repo') {
      const m = /^([^=@]+)(?:@([^=]+))?=(.+)$/.exec(value)
      if (m === null) throw new Error(`--repo takes owner/name[@revision]=DIR (got ${value})`)
      repos.push({ repo: m[1] ?? '', revision: m[2] ?? 'main', dir: path.resolve(m[3] ?? '') })
    } else if (flag === '--gated') {
      const [repo, token] = value.split('=')
      if (repo === undefined || token === undefined)
        throw new Error('--gated takes owner/name=TOKEN')
      tokens.set(repo, token)
    } else if (flag === '--port') {
      port = Number(value)
    } else if (flag === '--fault') {
      const fault = JSON.parse(value) as Fault
      if (!FAULT_KINDS.has(fault.kind)) throw new Error(`unknown fault kind ${String(fault.kind)}`)
      faults.push(fault)
    } else {
      throw new Error(`unknown option ${flag} (allowed: --repo, --gated, --port, --fault)`)
    }
  }
  if (repos.length === 0) throw new Error('give at least one --repo owner/name=DIR')
  for (const r of repos) {
    const token = tokens.get(r.repo)
    if (token !== undefined) r.token = token
  }
  return { repos, port, faults }
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parse>
  try {
    options = parse(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`)
    process.exitCode = 2
    return
  }
  const hub = await startTestHub({ repos: options.repos, port: options.port })
  for (const fault of options.faults) hub.inject(fault)
  process.stdout.write(`${JSON.stringify({ endpoint: hub.endpoint, cdn: hub.cdnOrigin })}\n`)
  const stop = (): void => {
    void hub.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

void main()
