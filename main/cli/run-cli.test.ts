import { describe, expect, it } from 'vitest'
import type { CliIo } from './cli-io'
import { runCli } from './run-cli'

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) }
  const code = await runCli(argv, io)
  return { code, out, err }
}

describe('runCli', () => {
  it('prints help on stdout for --help and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.out.join('\n')).toContain('Usage: npm run cli -- <command> [options]')
    expect(r.err).toEqual([])
  })

  it('exits 2 with the usage on stderr when no command is given', async () => {
    const r = await run([])
    expect(r.code).toBe(2)
    expect(r.out).toEqual([])
    expect(r.err.join('\n')).toContain('Commands:')
  })

  it('rejects an unknown command with one error line and exit code 2', async () => {
    const r = await run(['paint'])
    expect(r.code).toBe(2)
    expect(r.err).toHaveLength(1)
    expect(r.err[0]).toMatch(/^error: unknown command "paint" \(allowed: .*capabilities/)
  })

  it('prints capabilities as JSON, and rejects unknown capabilities options', async () => {
    const ok = await run(['capabilities', '--json'])
    expect(ok.code).toBe(0)
    expect(ok.out).toHaveLength(1)
    const caps = JSON.parse(ok.out[0] ?? '') as { mode: string; executionProviders: unknown[] }
    expect(caps.mode).toBe('cli')
    expect(caps.executionProviders.length).toBeGreaterThan(0)
    const bad = await run(['capabilities', '--yaml'])
    expect(bad.code).toBe(2)
    expect(bad.err).toEqual(['error: unknown option --yaml for capabilities (allowed: --json)'])
  })
})
