/**
 * The 32-bit Mersenne Twister exactly as PyTorch's CPU generator runs it (`at::mt19937`): seeded
 * from the low 32 bits of the seed with the reference `init_genrand`, state regenerated 624 words
 * at a time, standard tempering. Kept separate from {@link Generator} so the bit-level code has
 * one job.
 */

/** MT19937's state size (N) and middle offset (M), in 32-bit words. */
const N = 624
const M = 397
const MATRIX_A = 0x9908b0df
const UPPER_MASK = 0x80000000
const LOWER_MASK = 0x7fffffff

/** A snapshot of the twister's state, for saving and restoring a generator. */
export interface Mt19937State {
  readonly words: Uint32Array
  readonly index: number
}

/** The Mersenne Twister MT19937 producing 32-bit unsigned integers. */
export class Mt19937 {
  private readonly state = new Uint32Array(N)
  // N means "regenerate before the next draw", as the reference implementation does after seeding.
  private index = N

  constructor(seed32: number) {
    this.seed(seed32)
  }

  /** Re-seeds with a 32-bit value (callers pass `seed & 0xffffffff`). */
  seed(seed32: number): void {
    const s = this.state
    s[0] = seed32 >>> 0
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] as number
      s[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0
    }
    this.index = N
  }

  /** The next 32-bit output, as a non-negative number below 2^32. */
  nextUint32(): number {
    if (this.index >= N) this.twist()
    let y = this.state[this.index++] as number
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** Copies the state out. */
  getState(): Mt19937State {
    return { words: this.state.slice(), index: this.index }
  }

  /** Restores a state taken with {@link getState}. */
  setState(state: Mt19937State): void {
    if (
      state.words.length !== N ||
      !Number.isInteger(state.index) ||
      state.index < 0 ||
      state.index > N
    ) {
      throw new Error(`Mt19937: invalid state (need ${N} words and an index from 0 to ${N})`)
    }
    this.state.set(state.words)
    this.index = state.index
  }

  private twist(): void {
    const s = this.state
    for (let i = 0; i < N; i++) {
      const y = ((s[i] as number) & UPPER_MASK) | ((s[(i + 1) % N] as number) & LOWER_MASK)
      let v = (s[(i + M) % N] as number) ^ (y >>> 1)
      if (y & 1) v ^= MATRIX_A
      s[i] = v >>> 0
    }
    this.index = 0
  }
}
