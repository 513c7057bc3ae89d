import { randomBytes } from 'node:crypto'
import { Mt19937 } from './mt19937'
import type { Mt19937State } from './mt19937'

/** A seed as torch accepts it: an integer from -2^63 to 2^64 − 1 (negative ones wrap like C). */
export type Seed = number | bigint

/** torch's `default_rng_seed_val`: the seed of a freshly constructed `torch.Generator()`. */
export const DEFAULT_SEED = 67280421310721n

const TWO_64 = 1n << 64n
const MIN_SEED = -(1n << 63n)
const MAX_SEED = TWO_64 - 1n

/** A complete, restorable snapshot of a {@link Generator}. */
export interface GeneratorState {
  readonly seed: bigint
  readonly twister: Mt19937State
  readonly nextDoubleNormal: number | null
}

function toUint64(seed: Seed): bigint {
  let value: bigint
  if (typeof seed === 'bigint') {
    value = seed
  } else {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw new Error(`Generator.manualSeed: seed must be an integer (got ${String(seed)})`)
    }
    value = BigInt(seed)
  }
  if (value < MIN_SEED || value > MAX_SEED) {
    throw new Error(
      `Generator.manualSeed: seed must be from -2^63 to 2^64 - 1 (got ${value.toString()})`
    )
  }
  // torch reinterprets a negative int64 seed as its two's-complement uint64.
  return value < 0n ? value + TWO_64 : value
}

/**
 * PyTorch's CPU random number generator (`torch.Generator("cpu")`): an MT19937 twister plus the
 * cached second Box–Muller value that torch keeps between `normal_` calls. Same seed, same
 * numbers as torch, through {@link randn} and {@link rand}.
 *
 * ```ts
 * const g = new Generator().manualSeed(42) // torch.Generator("cpu").manual_seed(42)
 * ```
 */
export class Generator {
  private seedValue: bigint = DEFAULT_SEED
  private readonly twister: Mt19937
  private nextDoubleNormal: number | null = null

  /** A generator seeded like a fresh `torch.Generator()` (seed 67280421310721). */
  constructor() {
    this.twister = new Mt19937(Number(DEFAULT_SEED & 0xffffffffn))
  }

  /** Seeds the generator (torch's `manual_seed`) and returns it, so calls chain. */
  manualSeed(seed: Seed): this {
    const value = toUint64(seed)
    this.seedValue = value
    // torch's mt19937 only uses the low 32 bits of the 64-bit seed.
    this.twister.seed(Number(value & 0xffffffffn))
    this.nextDoubleNormal = null
    return this
  }

  /** Seeds from the operating system's entropy (torch's `Generator.seed()`) and returns the seed. */
  seed(): bigint {
    const value = randomBytes(8).readBigUInt64LE(0)
    this.manualSeed(value)
    return value
  }

  /**
   * The seed last set (torch's `initial_seed()`): a `number` when it is a safe integer, otherwise a
   * `bigint` (seeds above 2^53 − 1 and wrapped negative seeds).
   */
  initialSeed(): number | bigint {
    return this.seedValue <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(this.seedValue)
      : this.seedValue
  }

  /** The next 32 random bits (torch's `random()`). */
  nextUint32(): number {
    return this.twister.nextUint32()
  }

  /**
   * A double uniform on [0, 1) from 53 bits of `random64()`, whose first 32-bit draw is the high
   * word — torch's `uniform_real_distribution<double>`.
   */
  nextDouble(): number {
    const hi = this.twister.nextUint32()
    const lo = this.twister.nextUint32()
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992
  }

  /** A float32 uniform on [0, 1) from 24 bits of `random()` — torch's `uniform_real_distribution<float>`. */
  nextFloat(): number {
    return (this.twister.nextUint32() & 0xffffff) / 16777216
  }

  /**
   * One standard normal double from torch's `normal_distribution<double>`: Box–Muller on two
   * doubles, returning r·cos θ now and caching r·sin θ for the next call — across tensor calls.
   */
  nextNormalDouble(): number {
    if (this.nextDoubleNormal !== null) {
      const cached = this.nextDoubleNormal
      this.nextDoubleNormal = null
      return cached
    }
    const u1 = this.nextDouble()
    const u2 = this.nextDouble()
    const r = Math.sqrt(-2 * Math.log(1 - u2))
    const theta = 2 * Math.PI * u1
    this.nextDoubleNormal = r * Math.sin(theta)
    return r * Math.cos(theta)
  }

  /** A snapshot that {@link setState} restores (torch's `get_state`). */
  getState(): GeneratorState {
    return {
      seed: this.seedValue,
      twister: this.twister.getState(),
      nextDoubleNormal: this.nextDoubleNormal
    }
  }

  /** Restores a snapshot taken with {@link getState} (torch's `set_state`) and returns the generator. */
  setState(state: GeneratorState): this {
    this.twister.setState(state.twister)
    this.seedValue = state.seed
    this.nextDoubleNormal = state.nextDoubleNormal
    return this
  }

  /** An independent generator in the same state. */
  clone(): Generator {
    return new Generator().setState(this.getState())
  }
}

let defaultGenerator: Generator | null = null

/**
 * The process-wide generator used when a call passes none. Like torch's default CPU generator it
 * starts from a non-deterministic seed.
 */
export function getDefaultGenerator(): Generator {
  if (defaultGenerator === null) {
    defaultGenerator = new Generator()
    defaultGenerator.seed()
  }
  return defaultGenerator
}
