import type { JSX } from 'react'
import { LIMITS } from '../../../shared/params'
import { useFormStore } from '../store/form-store'
import { NumberField } from './number-field'

/** The seed: empty (or -1) for a random one, a number to fix it, one click to reuse the last. */
export function SeedField(): JSX.Element {
  const seed = useFormStore((s) => s.values.seed)
  const error = useFormStore((s) => s.fieldErrors.seed)
  const lastSeed = useFormStore((s) => s.lastSeed)
  const set = useFormStore((s) => s.set)
  const random = seed.trim() === '' || seed.trim() === '-1'
  return (
    <div className="seed-row">
      <NumberField
        id="seed"
        label={random ? 'Seed (random)' : 'Seed (fixed)'}
        testId="seed-input"
        value={seed}
        placeholder="random"
        step={1}
        min={-1}
        max={LIMITS.seed.max}
        error={error}
        hint={lastSeed === null ? undefined : `Last run: ${lastSeed}`}
        onChange={(v) => set('seed', v)}
        className="grow"
      />
      <div className="seed-buttons" role="group" aria-label="Seed shortcuts">
        <button
          type="button"
          data-testid="seed-random"
          onClick={() => set('seed', '')}
          aria-pressed={random}
          title="Draw a new random seed for every run"
        >
          Random
        </button>
        <button
          type="button"
          data-testid="seed-reuse"
          disabled={lastSeed === null}
          onClick={() => lastSeed !== null && set('seed', String(lastSeed))}
          title="Fix the seed of the last run"
          aria-label={lastSeed === null ? 'Reuse last seed' : `Reuse last seed ${lastSeed}`}
        >
          Reuse last
        </button>
      </div>
    </div>
  )
}
