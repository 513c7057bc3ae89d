import { promises as fs } from 'node:fs'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { ModelLoadError } from '../models/model-load-error'
import {
  fileExists,
  readJsonObject,
  readOptionalJsonObject,
  type JsonObject
} from '../models/read-json'
import { buildClipTokenizerJson, parseMerges, type SpecialToken } from './clip-tokenizer-json'
import { PROMPT_TEXT_FIXINGS, preparePromptText, type PromptTextFixing } from './prompt-text'

/** Token ids of a batch of prompts, each exactly `maxLength` long, and what got cut off. */
export interface TokenizedBatch {
  ids: number[][]
  /**
   * One message per truncated prompt, worded like diffusers' warning, naming the text that was
   * dropped because it did not fit.
   */
  warnings: string[]
}

/** Options of {@link ClipTokenizer.fromFolder}. */
export interface ClipTokenizerOptions {
  /** How prompt text is cleaned before the BPE; `'ftfy'` (diffusers' default tokenizer) unless given. */
  textFixing?: PromptTextFixing
}

/**
 * CLIP's tokenizer as Stable Diffusion pipelines use it: BOS, the BPE tokens, EOS, padded with
 * the configured pad token to `model_max_length` (77), and truncated keeping the final EOS.
 * The text is first cleaned as {@link ClipTokenizer.textFixing} says (by default as diffusers'
 * `CLIPTokenizer` with ftfy does: mojibake, curly quotes, full-width forms, ligatures, HTML
 * entities, control characters). The BPE itself is `@huggingface/tokenizers`, fed the folder's
 * `tokenizer.json`, or the same object built from `vocab.json` + `merges.txt` when that file is
 * absent.
 */
export class ClipTokenizer {
  /** Sequence length every prompt is padded/truncated to (`model_max_length`). */
  readonly modelMaxLength: number
  readonly bosId: number
  readonly eosId: number
  /** Id of the pad token (`<|endoftext|>` = EOS in SD 1.x, `!` = 0 in SD 2.x / SDXL's second tokenizer). */
  readonly padId: number
  readonly padToken: string
  /**
   * How prompt text is cleaned before the BPE (see {@link PromptTextFixing}); may be changed at
   * any time, e.g. to `'none'` to tokenize exactly as `CLIPTokenizerFast` does.
   */
  textFixing: PromptTextFixing
  /** Contents of the added tokens (`<|startoftext|>`, `<|endoftext|>`, …), split out before cleaning. */
  private readonly addedTokens: readonly string[]
  private readonly tokenizer: Tokenizer

  private constructor(
    tokenizer: Tokenizer,
    ids: { bos: number; eos: number; pad: number; padToken: string; maxLength: number },
    addedTokens: readonly string[],
    textFixing: PromptTextFixing
  ) {
    this.tokenizer = tokenizer
    this.addedTokens = addedTokens
    this.textFixing = textFixing
    this.bosId = ids.bos
    this.eosId = ids.eos
    this.padId = ids.pad
    this.padToken = ids.padToken
    this.modelMaxLength = ids.maxLength
  }

  /**
   * Loads the tokenizer in `dir` (a model's `tokenizer/` or `tokenizer_2/`).
   * `fallbackMaxLength` is used when the config has no usable `model_max_length` (the text
   * encoder's `max_position_embeddings`, 77 for CLIP).
   */
  static async fromFolder(
    dir: string,
    fallbackMaxLength = 77,
    options: ClipTokenizerOptions = {}
  ): Promise<ClipTokenizer> {
    const textFixing = options.textFixing ?? 'ftfy'
    checkTextFixing(textFixing)
    const configPath = path.join(dir, 'tokenizer_config.json')
    const config =
      (await readOptionalJsonObject(configPath, 'The tokenizer config')) ?? ({} as JsonObject)
    const specialMap =
      (await readOptionalJsonObject(
        path.join(dir, 'special_tokens_map.json'),
        'The tokenizer special-tokens map'
      )) ?? ({} as JsonObject)
    const tokenName = (key: string, fallback: string): string =>
      tokenContent(config[key]) ?? tokenContent(specialMap[key]) ?? fallback

    const bosToken = tokenName('bos_token', '<|startoftext|>')
    const eosToken = tokenName('eos_token', '<|endoftext|>')
    const unkToken = tokenName('unk_token', '<|endoftext|>')
    const padToken = tokenName('pad_token', '<|endoftext|>')

    const jsonPath = path.join(dir, 'tokenizer.json')
    let tokenizerJson: JsonObject
    if (await fileExists(jsonPath)) {
      tokenizerJson = await readJsonObject(jsonPath, 'The tokenizer definition')
    } else {
      tokenizerJson = await buildFromVocabAndMerges(dir, config, {
        bosToken,
        eosToken,
        unkToken,
        padToken
      })
    }

    let tokenizer: Tokenizer
    try {
      tokenizer = new Tokenizer(tokenizerJson, config)
    } catch (error) {
      throw new ModelLoadError(
        dir,
        `The tokenizer in ${dir} could not be built: ${(error as Error).message}`,
        {
          cause: error
        }
      )
    }
    const idOf = (token: string, role: string): number => {
      const id = tokenizer.token_to_id(token)
      if (id === undefined) {
        throw new ModelLoadError(
          dir,
          `The tokenizer in ${dir} has no id for its ${role} ${JSON.stringify(token)}`
        )
      }
      return id
    }
    const maxLength = config.model_max_length
    const addedTokens = Array.isArray(tokenizerJson.added_tokens)
      ? tokenizerJson.added_tokens
          .map((t) => tokenContent(t))
          .filter((t): t is string => t !== null && t.length > 0)
      : [bosToken, eosToken]
    return new ClipTokenizer(
      tokenizer,
      {
        bos: idOf(bosToken, 'BOS token'),
        eos: idOf(eosToken, 'EOS token'),
        pad: idOf(padToken, 'pad token'),
        padToken,
        // Configs without a real limit store a huge sentinel (1e30); CLIP's positions are the limit then.
        maxLength:
          typeof maxLength === 'number' &&
          Number.isInteger(maxLength) &&
          maxLength > 2 &&
          maxLength <= 1_000_000
            ? maxLength
            : fallbackMaxLength
      },
      addedTokens,
      textFixing
    )
  }

  /** `text` as the BPE sees it: cleaned as `textFixing` (default {@link textFixing}) says. */
  prepareText(text: string, textFixing: PromptTextFixing = this.textFixing): string {
    checkTextFixing(textFixing)
    return preparePromptText(text, textFixing, this.addedTokens)
  }

  /** The ids of `text` with BOS and EOS, neither padded nor truncated. */
  encodeUntruncated(text: string, textFixing: PromptTextFixing = this.textFixing): number[] {
    return this.tokenizer.encode(this.prepareText(text, textFixing)).ids.map(Number)
  }

  /** Decodes ids to text (special tokens kept, like diffusers' `batch_decode` in its warning). */
  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids]).trim()
  }

  /**
   * Tokenizes a batch like `tokenizer(texts, padding="max_length", max_length, truncation=True)`:
   * every row is exactly `maxLength` ids; a longer text keeps its first `maxLength - 2` tokens
   * between BOS and EOS, and a warning names what was dropped.
   */
  encodeBatch(
    texts: readonly string[],
    maxLength: number = this.modelMaxLength,
    textFixing: PromptTextFixing = this.textFixing
  ): TokenizedBatch {
    const warnings: string[] = []
    const ids = texts.map((text) => {
      const full = this.encodeUntruncated(text, textFixing)
      if (full.length > maxLength) {
        // diffusers decodes untruncated[max_length - 1 : -1]: everything past the kept tokens, minus EOS.
        const removed = this.decode(full.slice(maxLength - 1, -1))
        warnings.push(
          'The following part of your input was truncated because CLIP can only handle sequences up to' +
            ` ${maxLength} tokens: ['${removed}']`
        )
        return [...full.slice(0, maxLength - 1), this.eosId]
      }
      const row = full.slice()
      while (row.length < maxLength) row.push(this.padId)
      return row
    })
    return { ids, warnings }
  }
}

/** Throws unless `mode` is one of {@link PROMPT_TEXT_FIXINGS}. */
function checkTextFixing(mode: unknown): void {
  if (!PROMPT_TEXT_FIXINGS.includes(mode as PromptTextFixing)) {
    throw new Error(
      `textFixing must be ${PROMPT_TEXT_FIXINGS.map((m) => `"${m}"`).join(', ')}, but is ${JSON.stringify(mode)}`
    )
  }
}

/** A token given as a string or as an AddedToken-style object `{ content }`. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as JsonObject).content === 'string'
  ) {
    return (value as JsonObject).content as string
  }
  return null
}

async function buildFromVocabAndMerges(
  dir: string,
  config: JsonObject,
  tokens: { bosToken: string; eosToken: string; unkToken: string; padToken: string }
): Promise<JsonObject> {
  const vocabPath = path.join(dir, 'vocab.json')
  const mergesPath = path.join(dir, 'merges.txt')
  if (!(await fileExists(vocabPath)) || !(await fileExists(mergesPath))) {
    throw new ModelLoadError(
      dir,
      `The tokenizer folder ${dir} needs tokenizer.json, or vocab.json and merges.txt; ` +
        `missing: ${[
          ...((await fileExists(path.join(dir, 'tokenizer.json'))) ? [] : ['tokenizer.json']),
          ...((await fileExists(vocabPath)) ? [] : ['vocab.json']),
          ...((await fileExists(mergesPath)) ? [] : ['merges.txt'])
        ].join(', ')}`
    )
  }
  const vocabJson = await readJsonObject(vocabPath, 'The tokenizer vocabulary')
  const vocab: Record<string, number> = {}
  for (const [token, id] of Object.entries(vocabJson)) {
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new ModelLoadError(
        vocabPath,
        `${vocabPath} maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not an integer id`
      )
    }
    vocab[token] = id
  }
  const merges = parseMerges(await fs.readFile(mergesPath, 'utf8'))

  // Added (split-before-BPE) tokens, as CLIPTokenizerFast's tokenizer.json has them: BOS, EOS and
  // UNK, plus any extra entry of the config's table that the vocabulary lacks (e.g. a textual-
  // inversion token). A pad token that is an ordinary vocabulary entry (SD 2.x / SDXL's "!") is
  // only used for padding ids and stays ordinary text, as in the fast tokenizer.
  const declared = new Map<string, number>()
  const decoder = config.added_tokens_decoder
  if (decoder !== null && typeof decoder === 'object') {
    for (const [id, entry] of Object.entries(decoder as JsonObject)) {
      const content = tokenContent(entry)
      if (content !== null && Number.isInteger(Number(id))) declared.set(content, Number(id))
    }
  }
  const added = new Map<string, SpecialToken>()
  for (const token of [tokens.bosToken, tokens.eosToken, tokens.unkToken, tokens.padToken]) {
    if (added.has(token)) continue
    const id = vocab[token] ?? declared.get(token)
    if (id === undefined) {
      throw new ModelLoadError(
        vocabPath,
        `${vocabPath} has no entry for the special token ${JSON.stringify(token)}`
      )
    }
    vocab[token] = id
    if (token !== tokens.padToken || /^<\|.*\|>$/.test(token) || !(token in vocabJson)) {
      added.set(token, { content: token, id })
    }
  }
  for (const [content, id] of declared) {
    if (!added.has(content) && !(content in vocabJson)) {
      added.set(content, { content, id })
      vocab[content] = id
    }
  }
  const special = (token: string): SpecialToken => added.get(token) as SpecialToken
  return buildClipTokenizerJson({
    vocab,
    merges,
    bos: special(tokens.bosToken),
    eos: special(tokens.eosToken),
    unkToken: tokens.unkToken,
    addedTokens: [...added.values()].sort((a, b) => a.id - b.id),
    lowercase: config.do_lower_case !== false
  })
}
