// A small seeded PRNG (mulberry32): the same seed gives the same devices, alerts and drift,
// so tests, demos and benchmarks are reproducible.

export class Prng {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Hex digits, upper-case, as Kismet prints MACs, keys and UUIDs. */
  hex(digits: number): string {
    let out = ''
    for (let i = 0; i < digits; i++) out += Math.floor(this.next() * 16).toString(16)
    return out.toUpperCase()
  }
}
