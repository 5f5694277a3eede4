// Small statistics for benchmark samples: medians and spreads, never a single time.

export interface Summary {
  n: number
  median: number
  p25: number
  p75: number
  min: number
  max: number
}

/** Linear-interpolated quantile of an unsorted sample (q in [0, 1]). NaN for an empty sample. */
export function quantile(sample: readonly number[], q: number): number {
  if (sample.length === 0) return Number.NaN
  const sorted = [...sample].sort((a, b) => a - b)
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  const a = sorted[lo] as number
  const b = sorted[hi] as number
  return a + (b - a) * (at - lo)
}

export function median(sample: readonly number[]): number {
  return quantile(sample, 0.5)
}

export function summary(sample: readonly number[]): Summary {
  return {
    n: sample.length,
    median: quantile(sample, 0.5),
    p25: quantile(sample, 0.25),
    p75: quantile(sample, 0.75),
    min: sample.length === 0 ? Number.NaN : Math.min(...sample),
    max: sample.length === 0 ? Number.NaN : Math.max(...sample),
  }
}

/**
 * A latency histogram in whole milliseconds (Date.now() resolution, which is what the
 * envelope timestamp has): cheap to fill millions of times, mergeable across processes.
 */
export class MsHistogram {
  readonly counts: Uint32Array
  count = 0
  max = 0
  min = Number.POSITIVE_INFINITY
  /** Samples at or beyond the last bucket (counted in it). */
  overflow = 0

  constructor(maxMs = 120_000) {
    this.counts = new Uint32Array(maxMs + 1)
  }

  add(ms: number): void {
    const v = ms < 0 ? 0 : Math.round(ms)
    const last = this.counts.length - 1
    if (v >= last) this.overflow++
    this.counts[v >= last ? last : v]! += 1
    this.count++
    if (v > this.max) this.max = v
    if (v < this.min) this.min = v
  }

  /** Sparse form for IPC: [ms, count] pairs. */
  toSparse(): { pairs: Array<[number, number]>; max: number; min: number; overflow: number } {
    const pairs: Array<[number, number]> = []
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 0) pairs.push([i, this.counts[i]!])
    return { pairs, max: this.max, min: this.min, overflow: this.overflow }
  }

  merge(sparse: { pairs: Array<[number, number]>; max: number; min: number; overflow: number }): void {
    for (const [ms, n] of sparse.pairs) {
      this.counts[Math.min(ms, this.counts.length - 1)]! += n
      this.count += n
    }
    if (sparse.max > this.max) this.max = sparse.max
    if (sparse.min < this.min) this.min = sparse.min
    this.overflow += sparse.overflow
  }

  quantile(q: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return i
    }
    return this.counts.length - 1
  }
}

/** A number for a table: 3 significant digits, thousands kept whole. */
export function fmt(value: number | undefined | null, digits = 3): string {
  if (value === undefined || value === null || Number.isNaN(value)) return 'n/a'
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US')
  if (abs === 0) return '0'
  return Number(value.toPrecision(digits)).toString()
}

/** "median (p25–p75)" for a table cell. */
export function fmtSpread(s: Summary, digits = 3): string {
  return `${fmt(s.median, digits)} (${fmt(s.p25, digits)}–${fmt(s.p75, digits)})`
}
