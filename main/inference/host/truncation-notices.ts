import type { ClipTokenizer } from '../../engine'
import { loadPromptTokenizer, promptLength, truncationNotice } from '../../engine'
import type { GenerationRequest } from '../protocol'

/** The last model's prompt tokenizer, for the truncation notices (tokenizers hold no native memory). */
let promptTokenizer: { modelDir: string; tokenizer: Promise<ClipTokenizer> } | null = null

/**
 * Short notices for a prompt or negative prompt longer than the model reads. They replace the
 * engine's diffusers-worded warning, which quotes the whole dropped text (thousands of characters
 * for a pasted essay, replacement characters when a cut falls inside an emoji) and says nothing
 * about the negative prompt, which is cut all the same.
 */
export async function truncationNotices(
  request: GenerationRequest,
  cfg: boolean
): Promise<string[]> {
  if (promptTokenizer?.modelDir !== request.modelDir) {
    const tokenizer = loadPromptTokenizer(request.modelDir)
    tokenizer.catch(() => (promptTokenizer = null))
    promptTokenizer = { modelDir: request.modelDir, tokenizer }
  }
  const tokenizer = await promptTokenizer.tokenizer
  const notices = [truncationNotice('The prompt', promptLength(tokenizer, request.prompt))]
  if (cfg) {
    notices.push(
      truncationNotice('The negative prompt', promptLength(tokenizer, request.negativePrompt))
    )
  }
  return notices.filter((n): n is string => n !== null)
}
