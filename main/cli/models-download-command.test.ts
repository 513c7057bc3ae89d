import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureModel } from '../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../testing/test-hub/test-hub-server'
import type { CliIo } from './cli-io'
import { modelsDownloadCommand } from './models-download-command'
import { runCli } from './run-cli'

const TOKEN = 'hf_gated_secret_0123456789'
let hub: TestHub

beforeAll(async () => {
  hub = await startTestHub({
    repos: [{ repo: 'stepwise/gated-legacy', dir: fixtureModel('tiny-sd-legacy'), token: TOKEN }]
  })
})
afterAll(async () => hub.close())

async function run(
  argv: string[],
  env: Record<string, string>
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const code = await modelsDownloadCommand(argv, io, { HF_ENDPOINT: hub.endpoint, ...env })
  return { code, out, err }
}

describe('models download', () => {
  it('downloads with a token from --token-env, shows progress, adds the model to the library', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepwise-download-cli-'))
    const denied = await run(['stepwise/gated-legacy', '--data-dir', dataDir], {})
    expect(denied.code).toBe(1)
    expect(denied.err.join('\n')).toMatch(/needs an access token/)

    const r = await run(
      ['stepwise/gated-legacy', '--data-dir', dataDir, '--token-env', 'MY_HUB_TOKEN'],
      { MY_HUB_TOKEN: TOKEN }
    )
    expect(r.code).toBe(0)
    const dest = join(dataDir, 'models', 'stepwise--gated-legacy')
    expect(r.out).toEqual([expect.stringMatching(/^downloaded stepwise\/gated-legacy@main .* to /)])
    expect(r.err.some((l) => /^\[\s*\d+%\] .* \/ .*\/s {2}ETA /.test(l))).toBe(true)
    expect(r.err).toContain('in the model library as stepwise--gated-legacy (SD 1.x, fp32)')
    expect(r.err.join('\n')).not.toContain(TOKEN)
    const library = JSON.parse(readFileSync(join(dataDir, 'model-library.json'), 'utf8')) as {
      models: { id: string; path: string; source: string; repo: string }[]
    }
    expect(library.models).toEqual([
      expect.objectContaining({
        id: 'stepwise--gated-legacy',
        path: dest,
        source: 'downloaded',
        repo: 'stepwise/gated-legacy'
      })
    ])
    expect(readFileSync(join(dataDir, 'model-library.json'), 'utf8')).not.toContain(TOKEN)

    // The CLI's library listing shows it as downloaded.
    const out: string[] = []
    await runCli(['models', 'list', '--data-dir', dataDir, '--models-dir', dataDir], {
      out: (l) => out.push(l),
      err: () => undefined
    })
    expect(out[1]).toMatch(/^stepwise--gated-legacy\s+SD 1.x\s+fp32\s+.*downloaded/)
  })

  it('refuses a --token-env that is not set, and never takes a token on the command line', async () => {
    await expect(run(['stepwise/gated-legacy', '--token-env', 'NOPE_UNSET'], {})).rejects.toThrow(
      '--token-env: the environment variable NOPE_UNSET is not set'
    )
    const r = await run(['stepwise/gated-legacy', '--token', TOKEN], {})
    expect(r.code).toBe(2)
    expect(r.err.join('\n')).not.toContain(TOKEN)
  })
})
