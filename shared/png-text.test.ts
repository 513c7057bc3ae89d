import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readPngTextChunks } from './png-text'

// PNGs written by Pillow as AUTOMATIC1111 writes them (tEXt for Latin-1, iTXt otherwise).
const TESTDATA = path.resolve(__dirname, '../main/engine/output/testdata')
const reference = JSON.parse(readFileSync(path.join(TESTDATA, 'a1111-reference.json'), 'utf8')) as {
  file: string
  text: string
  chunk: string
}[]

describe('readPngTextChunks', () => {
  for (const r of reference) {
    it(`reads the parameters of ${r.file} (${r.chunk})`, () => {
      const chunks = readPngTextChunks(new Uint8Array(readFileSync(path.join(TESTDATA, r.file))))
      expect(chunks['parameters']).toBe(r.text)
    })
  }

  it('says when a file is not a PNG', () => {
    expect(() => readPngTextChunks(new TextEncoder().encode('GIF89a…'))).toThrow('not a PNG file')
  })
})
