import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClipTokenizer } from './clip-tokenizer'
import { PROMPT_TEXT_FIXINGS } from './prompt-text'

interface ReferenceFolder {
  model_max_length: number
  bos_id: number
  eos_id: number
  pad_id: number
  cases: { text: string; ids: number[] }[]
  /** Prompts with curly quotes, full-width text, ligatures, a BOM, entities, mojibake…: the ids of
   * transformers' CLIPTokenizer after each way of cleaning the text (ftfy, CLIP, none). */
  fixing_cases: { text: string; ids_ftfy: number[]; ids_clip: number[]; ids_none: number[] }[]
}

const root = path.resolve(__dirname, '../../..')
const reference = JSON.parse(
  await fs.readFile(path.join(root, 'fixtures/tokenizer-reference.json'), 'utf8')
) as Record<string, ReferenceFolder | string>
const folders = Object.entries(reference).filter(
  (entry): entry is [string, ReferenceFolder] => !entry[0].startsWith('_')
)

let tmp = ''
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'stepwise-tok-'))
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

/** A copy of a tokenizer folder without tokenizer.json (as many real SD exports ship). */
async function withoutTokenizerJson(folder: string): Promise<string> {
  const dest = path.join(tmp, folder.replace(/[\\/]/g, '_'))
  await fs.mkdir(dest, { recursive: true })
  for (const f of [
    'vocab.json',
    'merges.txt',
    'tokenizer_config.json',
    'special_tokens_map.json'
  ]) {
    await fs.copyFile(path.join(root, folder, f), path.join(dest, f))
  }
  return dest
}

describe.each(folders)('tokenizer reference %s', (folder, ref) => {
  it('reproduces every reference tokenization from tokenizer.json', async () => {
    const tok = await ClipTokenizer.fromFolder(path.join(root, folder))
    expect([tok.modelMaxLength, tok.bosId, tok.eosId, tok.padId]).toEqual([
      ref.model_max_length,
      ref.bos_id,
      ref.eos_id,
      ref.pad_id
    ])
    const { ids } = tok.encodeBatch(ref.cases.map((c) => c.text))
    expect(ids).toEqual(ref.cases.map((c) => c.ids))
  })

  it('reproduces them from vocab.json + merges.txt alone', async () => {
    const tok = await ClipTokenizer.fromFolder(await withoutTokenizerJson(folder))
    expect(tok.padId).toBe(ref.pad_id)
    const { ids } = tok.encodeBatch(ref.cases.map((c) => c.text))
    expect(ids).toEqual(ref.cases.map((c) => c.ids))
  })

  it.each(PROMPT_TEXT_FIXINGS)(
    "cleans prompt text like the reference tokenizer in '%s' mode",
    async (mode) => {
      const texts = ref.fixing_cases.map((c) => c.text)
      const expected = ref.fixing_cases.map((c) => c[`ids_${mode}`])
      const fromJson = await ClipTokenizer.fromFolder(path.join(root, folder), 77, {
        textFixing: mode
      })
      expect(fromJson.encodeBatch(texts).ids).toEqual(expected)
      const fromVocab = await ClipTokenizer.fromFolder(await withoutTokenizerJson(folder))
      fromVocab.textFixing = mode
      expect(fromVocab.encodeBatch(texts).ids).toEqual(expected)
    }
  )
})

describe('prompt text fixing', () => {
  const folder = path.join(root, 'resources/models/stepwise-shapes-64/tokenizer')

  it("is diffusers' default (transformers' CLIPTokenizer with ftfy) unless told otherwise", async () => {
    const tok = await ClipTokenizer.fromFolder(folder)
    expect(tok.textFixing).toBe('ftfy')
    const plain = tok.encodeUntruncated('"red" circle, fine')
    expect(tok.encodeUntruncated('\ufeff\u201cＲｅｄ\u201d circle, \ufb01ne')).toEqual(plain)
    expect(tok.encodeUntruncated('&quot;red&quot; circle, ﬁne')).toEqual(plain)
    tok.textFixing = 'none'
    expect(tok.encodeUntruncated('\u201cred\u201d circle, fine')).not.toEqual(plain)
  })

  it('refuses an unknown mode, naming the allowed ones', async () => {
    await expect(
      ClipTokenizer.fromFolder(folder, 77, { textFixing: 'nfkc' as 'none' })
    ).rejects.toThrow('textFixing must be "ftfy", "clip", "none", but is "nfkc"')
  })
})

describe('truncation', () => {
  it('keeps EOS and names the dropped text in a warning', async () => {
    const tok = await ClipTokenizer.fromFolder(
      path.join(root, 'fixtures/models/tiny-sd-random/tokenizer')
    )
    const words = Array.from({ length: 80 }, (_, i) => (i < 75 ? 'red' : 'blue')).join(' ')
    const { ids, warnings } = tok.encodeBatch([words, 'a red circle'])
    expect(ids[0]).toHaveLength(77)
    expect(ids[0]?.[76]).toBe(tok.eosId)
    expect(warnings).toEqual([
      "The following part of your input was truncated because CLIP can only handle sequences up to 77 tokens: ['blue blue blue blue blue']"
    ])
  })

  it('says which files are missing from a tokenizer folder', async () => {
    const dest = path.join(tmp, 'empty-tokenizer')
    await fs.mkdir(dest, { recursive: true })
    await expect(ClipTokenizer.fromFolder(dest)).rejects.toThrow(
      'needs tokenizer.json, or vocab.json and merges.txt; missing: tokenizer.json, vocab.json, merges.txt'
    )
  })
})
