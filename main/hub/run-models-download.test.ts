import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDownloadStatus, validateRepoId, validateRevision } from '../engine'
import type { DownloadResult } from '../engine'
import { KNOWN_ONNX_MODELS } from './known-models'
import { KNOWN_PREVIEW_DECODERS } from './known-preview-decoders'
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  defaultFolderName,
  formatDuration,
  runModelsDownload
} from './run-models-download'
import { fixtureModel, makeTempDir, removeTempDir } from '../../testing/test-hub/hub-test-helpers'
import { startTestHub, type TestHub } from '../../testing/test-hub/test-hub-server'

const TOKEN = 'hf_cli_token_0123456789'

let hub: TestHub
let tmp: string

beforeAll(async () => {
  hub = await startTestHub({
    repos: [
      { repo: 'stepwise/tiny-sd', dir: fixtureModel('tiny-sd-fp16') },
      { repo: 'stepwise/gated', dir: fixtureModel('tiny-sd-fp16'), token: TOKEN }
    ]
  })
  tmp = await makeTempDir()
})

afterAll(async () => {
  await hub.close()
  await removeTempDir(tmp)
})

async function run(
  args: string[],
  env: Record<string, string> = {},
  onDownloaded?: (result: DownloadResult) => void
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runModelsDownload(
    args,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    { modelsDir: tmp, env: { HF_ENDPOINT: hub.endpoint, ...env }, progressEveryMs: 0, onDownloaded }
  )
  return { code, out, err }
}

describe('runModelsDownload', () => {
  it('downloads into <models>/<owner>--<name>, progress on stderr, one result line on stdout', async () => {
    const r = await run(['stepwise/tiny-sd'])
    expect(r.code).toBe(EXIT_OK)
    const dest = path.join(tmp, 'stepwise--tiny-sd')
    expect(r.out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^downloaded stepwise/tiny-sd@main \\(commit [0-9a-f]{10}\\) to ${dest.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 16 files, \\d\\.\\d MB$`
        )
      )
    ])
    expect(r.err[0]).toMatch(/^stepwise\/tiny-sd@main is commit [0-9a-f]{40}$/)
    expect(r.err[1]).toMatch(/^16 files, \d\.\d MB \(\d\.\d MB to fetch\); 0 files not needed$/)
    expect(
      r.err.some((l) => /^\[100%\] \d\.\d MB \/ \d\.\d MB .*\/s {2}ETA 0s {2}\S+$/.test(l))
    ).toBe(true)
    expect((await readDownloadStatus(dest)).state).toBe('complete')
  })

  it('prints the result as JSON with --json, to --dest, after handing it to onDownloaded', async () => {
    const dest = path.join(tmp, 'json-dest')
    const handed: DownloadResult[] = []
    const r = await run(['stepwise/tiny-sd', '--dest', dest, '--json'], {}, (res) => {
      handed.push(res)
    })
    expect(handed.map((h) => h.dest)).toEqual([dest])
    const failing = await run(['stepwise/tiny-sd', '--dest', dest], {}, () => {
      throw new Error('the library is read-only')
    })
    expect([failing.code, failing.out, failing.err.at(-1)]).toEqual([
      EXIT_FAILURE,
      [],
      'error: the library is read-only'
    ])
    expect(r.code).toBe(EXIT_OK)
    expect(r.out).toHaveLength(1)
    const result = JSON.parse(r.out[0] ?? '') as { repo: string; dest: string; files: unknown[] }
    expect(result).toMatchObject({ repo: 'stepwise/tiny-sd', dest })
    expect(result.files).toHaveLength(16)
  })

  it('takes the token from HF_TOKEN only, and never prints it', async () => {
    const denied = await run(['stepwise/gated', '--dest', path.join(tmp, 'g1')])
    expect(denied.code).toBe(EXIT_FAILURE)
    expect(denied.err.at(-1)).toBe(
      'error: stepwise/gated@main: this repository needs an access token (or yours lacks access); none was given'
    )
    const flag = await run(['stepwise/gated', '--token', TOKEN])
    expect(flag.code).toBe(EXIT_USAGE)
    expect(flag.err).toEqual([
      'error: --token is not accepted: put the token in the HF_TOKEN environment variable'
    ])
    const ok = await run(['stepwise/gated', '--dest', path.join(tmp, 'g2')], { HF_TOKEN: TOKEN })
    expect(ok.code).toBe(EXIT_OK)
    expect([...ok.out, ...ok.err, ...denied.err].join('\n')).not.toContain(TOKEN)
  })

  it('rejects bad command lines with exit 2 and one error line', async () => {
    const cases: [string[], RegExp][] = [
      [[], /models download needs a REPO \(or --known KEY; see --help\)/],
      [['a/b', 'c/d'], /unexpected argument "c\/d" \(one REPO only\)/],
      [
        ['a/b', '--revison', 'x'],
        /unknown option --revison for models download \(allowed: --revision, --dest/
      ],
      [['a/b', '--dest'], /--dest needs a value/],
      [['a/b', '--json=1'], /--json takes no value/],
      [['--known', 'nope'], /unknown --known "nope" \(known: sd15, /],
      [['a/b', '--known', 'sd15'], /give either REPO or --known, not both/],
      [['not a repo'], /"not a repo" is not a Hub repository id/]
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect([args, r.code]).toEqual([args, EXIT_USAGE])
      expect(r.err).toHaveLength(1)
      expect(r.err[0]).toMatch(new RegExp(`^error: ${message.source}`))
    }
  })

  it('lists the curated models, and prints help', async () => {
    const list = await run(['--list'])
    expect(list.code).toBe(EXIT_OK)
    expect(list.out.join('\n')).toContain(
      'sd-turbo     onnxruntime/sd-turbo (fp16, ~2.6 GB, needs cuda)'
    )
    expect(list.out.join('\n')).toContain(
      'sd14-legacy  CompVis/stable-diffusion-v1-4 --revision onnx'
    )
    const json = await run(['--list', '--json'])
    expect(list.out.join('\n')).toContain('taesd        deinferno/taesd-onnx (sd1, sd2, ~4.9 MB)')
    expect(JSON.parse(json.out[0] ?? '[]')).toEqual([
      ...KNOWN_ONNX_MODELS,
      ...KNOWN_PREVIEW_DECODERS.map((d) => ({ ...d, kind: 'preview-decoder' }))
    ])
    const help = await run(['--help'])
    expect(help.out[0]).toMatch(/^Usage: models download REPO/)
  })
})

describe('the curated list', () => {
  it('has unique keys, valid repo ids and revisions, and sensible defaults', () => {
    expect(new Set(KNOWN_ONNX_MODELS.map((m) => m.key)).size).toBe(KNOWN_ONNX_MODELS.length)
    for (const m of KNOWN_ONNX_MODELS) {
      expect(validateRepoId(m.repo)).toBe(m.repo)
      expect(validateRevision(m.revision)).toBe(m.revision)
      expect(m.defaults.width % 8).toBe(0)
      expect(m.defaults.steps).toBeGreaterThan(0)
      // Turbo models are distilled for guidance-free sampling.
      if (m.family.endsWith('turbo')) expect(m.defaults.guidanceScale).toBe(0)
    }
    for (const family of ['sd1', 'sd-turbo', 'sdxl-turbo']) {
      expect(KNOWN_ONNX_MODELS.some((m) => m.family === family)).toBe(true)
    }
  })

  it('names default folders after the repo, and the revision when it is not main', () => {
    expect(defaultFolderName('CompVis/stable-diffusion-v1-4', 'onnx')).toBe(
      'CompVis--stable-diffusion-v1-4--onnx'
    )
    expect(defaultFolderName('a/b', 'refs/pr/1')).toBe('a--b--refs_pr_1')
    expect(defaultFolderName('a/b', 'main')).toBe('a--b')
  })

  it('formats durations for progress lines', () => {
    expect([0.4, 59, 125, 7322].map(formatDuration)).toEqual(['0s', '59s', '2m05s', '2h02m'])
  })
})
