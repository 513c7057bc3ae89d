import { useEffect, useState } from 'react'
import type { JSX } from 'react'
import type { TokenCount } from '../contract'
import { useAppStore } from '../store/app-store'

/** How long typing pauses before the text is counted again. */
const COUNT_AFTER_MS = 150

/** Props of {@link TokenCounter}. */
export interface TokenCounterProps {
  /** `prompt-token-count` or `negative-prompt-token-count`. */
  testId: string
  /** "prompt" or "negative prompt", for the warning. */
  what: string
  modelId: string
  text: string
}

/**
 * "12 / 24 tokens" under a prompt field, against the model's limit (77 for CLIP, 24 for the
 * shipped model), counted by the model's own tokenizer in main as the user types; past the
 * limit it says, briefly, how much the model will ignore.
 */
export function TokenCounter({
  testId,
  what,
  modelId,
  text
}: TokenCounterProps): JSX.Element | null {
  const api = useAppStore((s) => s.api)
  const [count, setCount] = useState<{ key: string; value: TokenCount } | null>(null)
  const key = `${modelId}\u0000${text}`
  useEffect(() => {
    if (api === null || modelId === '') return
    let current = true
    const timer = setTimeout(() => {
      api.countTokens(modelId, text).then(
        (value) => current && setCount({ key, value }),
        // A model that cannot be read shows no counter; the run would say why.
        () => current && setCount(null)
      )
    }, COUNT_AFTER_MS)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [api, modelId, text, key])
  if (count === null) return null
  const { tokens, limit } = count.value
  const over = tokens - limit
  return (
    <span
      className={`token-count${over > 0 ? ' over' : ''}`}
      data-testid={testId}
      data-tokens={tokens}
      data-limit={limit}
    >
      {tokens} / {limit} tokens
      {over > 0 && ` · too long: the model ignores the last ${over} of this ${what}`}
    </span>
  )
}
