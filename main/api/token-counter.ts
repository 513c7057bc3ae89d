import type { TokenCount } from '../../shared/contract'
import type { ClipTokenizer } from '../engine'
import { loadPromptTokenizer, promptLength } from '../engine'

/** Tokenizers kept loaded for counting (one per model folder; each is a few MB of vocabulary). */
const KEPT = 4

/**
 * Counts a text's tokens for a model's tokenizer, as the form's counter shows them while the
 * user types. Tokenizers hold no native memory and load in main (no inference process needed);
 * the last few used stay loaded, so typing costs one BPE pass per answer.
 */
export class TokenCounter {
  private readonly tokenizers = new Map<string, Promise<ClipTokenizer>>()

  /** The length of `text` for the model in `modelDir`. */
  async count(modelDir: string, text: string): Promise<TokenCount> {
    let tokenizer = this.tokenizers.get(modelDir)
    if (tokenizer === undefined) {
      tokenizer = loadPromptTokenizer(modelDir)
      // A folder that failed to load is tried again next time (it may have been fixed).
      tokenizer.catch(() => this.tokenizers.delete(modelDir))
      this.tokenizers.set(modelDir, tokenizer)
      if (this.tokenizers.size > KEPT) {
        const oldest = this.tokenizers.keys().next().value
        if (oldest !== undefined) this.tokenizers.delete(oldest)
      }
    }
    return promptLength(await tokenizer, text)
  }
}
