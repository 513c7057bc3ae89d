import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_HUB_ENDPOINT, resolveHubEndpoint } from './hub-endpoint'
import { localPath } from './local-path'
import { toRepoFile } from './repo-listing'
import { displayUrl, resolveUrl, validateRepoId, validateRevision } from './repo-ref'

describe('repo ids, revisions and URLs', () => {
  it('accepts Hub repo ids and rejects anything that could change the URL', () => {
    for (const ok of [
      'stabilityai/sd-turbo',
      'onnx-community/stable-diffusion-v1-5-ONNX',
      'gpt2',
      'a.b/c_d'
    ]) {
      expect(validateRepoId(ok)).toBe(ok)
    }
    for (const bad of [
      '',
      'a/b/c',
      '../x',
      'a/..',
      'a/b?x=1',
      'a /b',
      '-a/b',
      'a--b/c',
      'a/b.',
      `a/${'x'.repeat(97)}`
    ]) {
      expect(() => validateRepoId(bad), bad).toThrow(/is not a Hub repository id/)
    }
  })

  it('accepts branches, tags, commits and refs/pr/N, and rejects traversal and whitespace', () => {
    for (const ok of ['main', 'onnx', 'v1.0', 'refs/pr/12', 'a'.repeat(40)]) {
      expect(validateRevision(ok)).toBe(ok)
    }
    for (const bad of [
      '',
      '../main',
      'a/../b',
      '/main',
      'main/',
      'ma in',
      'main\n',
      'a?b',
      'a#b',
      'a\\b'
    ]) {
      expect(() => validateRevision(bad), JSON.stringify(bad)).toThrow(/is not a revision/)
    }
  })

  it('builds resolve URLs with encoded segments, and strips queries for display', () => {
    expect(resolveUrl('https://hub.example', 'o/n', 'refs/pr/1', 'unet/model weights.onnx')).toBe(
      'https://hub.example/o/n/resolve/refs%2Fpr%2F1/unet/model%20weights.onnx'
    )
    expect(displayUrl('https://cdn.example/repos/ab/cd?X-Amz-Signature=secret')).toBe(
      'https://cdn.example/repos/ab/cd'
    )
  })

  it('keeps every downloaded path inside the destination', () => {
    const dest = path.resolve('/tmp/models/x')
    expect(localPath(dest, 'unet/model.onnx')).toBe(path.join(dest, 'unet', 'model.onnx'))
    for (const bad of [
      '../evil',
      'unet/../../evil',
      '/etc/passwd',
      'a\\..\\b',
      'C:/x',
      'a//b',
      './a',
      ''
    ]) {
      expect(() => localPath(dest, bad), bad).toThrow(/not safe to write/)
    }
  })

  it('picks the endpoint from the option, then HF_ENDPOINT, then huggingface.co', () => {
    expect(resolveHubEndpoint(undefined, {})).toBe(DEFAULT_HUB_ENDPOINT)
    expect(resolveHubEndpoint(undefined, { HF_ENDPOINT: 'https://mirror.example/' })).toBe(
      'https://mirror.example'
    )
    expect(
      resolveHubEndpoint('http://127.0.0.1:9/base/', { HF_ENDPOINT: 'https://mirror.example' })
    ).toBe('http://127.0.0.1:9/base')
    expect(() => resolveHubEndpoint(undefined, { HF_ENDPOINT: 'nope' })).toThrow(
      /HF_ENDPOINT "nope" is not a URL/
    )
    expect(() => resolveHubEndpoint('https://x.example/?a=1', {})).toThrow(/must not have a query/)
  })
})

describe('toRepoFile', () => {
  it('checks LFS files by sha256, git files by blob id, Xet files without lfs by size only', () => {
    const sha = 'A'.repeat(64)
    expect(
      toRepoFile({ path: 'u/m.onnx', size: 7, oid: 'b'.repeat(40), lfs: { oid: sha, size: 9 } })
    ).toEqual({
      path: 'u/m.onnx',
      size: 9,
      sha256: 'a'.repeat(64),
      gitOid: null
    })
    expect(toRepoFile({ path: 'c.json', size: 3, oid: 'c'.repeat(40) })).toEqual({
      path: 'c.json',
      size: 3,
      sha256: null,
      gitOid: 'c'.repeat(40)
    })
    expect(
      toRepoFile({ path: 'x.bin', size: 3, oid: 'c'.repeat(40), xetHash: 'd'.repeat(64) }).gitOid
    ).toBeNull()
    expect(() => toRepoFile({ path: 'x', size: -1 })).toThrow(/invalid size/)
    expect(() => toRepoFile({ path: 'x', size: 1, lfs: { oid: 'nope', size: 1 } })).toThrow(
      /not a sha256/
    )
  })
})
