import type { JSX } from 'react'
import { PROVIDER_NAMES } from '../../../shared/params'
import type { ProviderName } from '../../../shared/params'
import { useAppStore } from '../store/app-store'
import { useFormStore } from '../store/form-store'
import { Field } from './field'

/**
 * Where the model runs: `auto` (what main would pick, in order) or one onnxruntime execution
 * provider. Unavailable providers stay selectable because main falls back to the CPU and says so,
 * but their reason is shown; the provider that actually ran appears with the result.
 */
export function ProviderField(): JSX.Element {
  const provider = useFormStore((s) => s.values.provider)
  const set = useFormStore((s) => s.set)
  const capabilities = useAppStore((s) => s.capabilities)
  const info = capabilities?.executionProviders.find((ep) => ep.name === provider)
  const hint =
    provider === 'auto'
      ? capabilities === null
        ? undefined
        : `tries ${capabilities.autoProviders.join(', then ')}`
      : info === undefined
        ? undefined
        : info.available
          ? info.reason
          : `not available here${info.reason === undefined ? '' : `: ${info.reason}`} (falls back to cpu)`
  return (
    <Field htmlFor="provider" label="Execution provider" hint={hint}>
      <select
        id="provider"
        data-testid="provider-select"
        value={provider}
        aria-describedby={hint === undefined ? undefined : 'provider-hint'}
        onChange={(e) => set('provider', e.target.value as ProviderName)}
      >
        {PROVIDER_NAMES.map((name) => {
          const ep = capabilities?.executionProviders.find((p) => p.name === name)
          return (
            <option key={name} value={name}>
              {name}
              {ep !== undefined && !ep.available ? ' (not available)' : ''}
            </option>
          )
        })}
      </select>
    </Field>
  )
}
