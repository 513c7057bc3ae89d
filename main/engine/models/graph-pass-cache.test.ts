import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  FolderGraphPassCache,
  GRAPH_PASS_CACHE_FILE,
  graphFingerprint,
  graphPassCache,
  MemoryGraphPassCache,
  type GraphPassVerdict
} from './graph-pass-cache'

const passed: GraphPassVerdict = {
  passed: true,
  maxRelativeDifference: 3e-7,
  reason: null,
  checkedAt: '2026-12-06T00:00:00.000Z'
}
const failed: GraphPassVerdict = {
  passed: false,
  maxRelativeDifference: 2e-3,
  reason: 'fused and exported outputs differ by 2.0e-3 on the test run (limit 1e-5)',
  checkedAt: '2026-12-06T00:00:00.000Z'
}

let dir: string
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-fingerprint-'))
})
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

describe('graph fingerprints', () => {
  async function graphFolder(onnx: string, dataBytes: number): Promise<string> {
    const file = path.join(dir, 'model.onnx')
    await fs.writeFile(file, onnx)
    await fs.writeFile(path.join(dir, 'model.onnx_data'), Buffer.alloc(dataBytes))
    return file
  }
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

  it('is stable for the same graph and changes with its bytes, weight sizes or salt', async () => {
    const file = await graphFolder('graph-a', 1000)
    const base = await graphFingerprint(file, bytes('graph-a'), 'attention/1')
    expect(await graphFingerprint(file, bytes('graph-a'), 'attention/1')).toBe(base)
    expect(await graphFingerprint(file, bytes('graph-b'), 'attention/1')).not.toBe(base)
    expect(await graphFingerprint(file, bytes('graph-a'), 'attention/2')).not.toBe(base)
    await fs.writeFile(path.join(dir, 'model.onnx_data'), Buffer.alloc(1001))
    expect(await graphFingerprint(file, bytes('graph-a'), 'attention/1')).not.toBe(base)
  })

  it('ignores config files beside the graph', async () => {
    const file = await graphFolder('graph-a', 10)
    const base = await graphFingerprint(file, bytes('graph-a'), 's')
    await fs.writeFile(path.join(dir, 'config.json'), '{"sample_size": 64}')
    expect(await graphFingerprint(file, bytes('graph-a'), 's')).toBe(base)
  })
})

describe('verdict caches', () => {
  it('in memory: what was set is found, nothing else', async () => {
    const cache = new MemoryGraphPassCache()
    await cache.set('a', passed)
    expect(await cache.get('a')).toEqual(passed)
    expect(await cache.get('b')).toBeNull()
  })

  it('without a folder option, one cache for the whole process', async () => {
    await graphPassCache(undefined).set('process-wide', failed)
    expect(await graphPassCache(undefined).get('process-wide')).toEqual(failed)
  })

  it('in a folder: survives a new cache object, written atomically', async () => {
    await new FolderGraphPassCache(dir).set('a', passed)
    await new FolderGraphPassCache(dir).set('b', failed)
    const reread = new FolderGraphPassCache(dir)
    expect(await reread.get('a')).toEqual(passed)
    expect(await reread.get('b')).toEqual(failed)
    expect((await fs.readdir(dir)).sort()).toEqual([GRAPH_PASS_CACHE_FILE])
  })

  it('treats a damaged or foreign file as empty and replaces it', async () => {
    const file = path.join(dir, GRAPH_PASS_CACHE_FILE)
    const cache = new FolderGraphPassCache(dir)
    for (const content of ['{ not json', '[]', '{"format": "something-else", "verdicts": {}}']) {
      await fs.writeFile(file, content)
      expect(await cache.get('a')).toBeNull()
    }
    await cache.set('a', passed)
    expect(await cache.get('a')).toEqual(passed)
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({
      format: 'stepwise-graph-pass-checks',
      version: 1
    })
  })

  it('creates the folder when it does not exist yet', async () => {
    const nested = path.join(dir, 'cache', 'graph-passes')
    await new FolderGraphPassCache(nested).set('a', passed)
    expect(await new FolderGraphPassCache(nested).get('a')).toEqual(passed)
  })
})
