// One line of the results table: a figure beside its baseline from the same run.

export interface Row {
  scenario: string
  metric: string
  /** The figure (median unless the metric says otherwise). */
  value: number
  unit: string
  /** Spread of the figure, e.g. "p25–p75 1.2–1.4", when it is a median of samples. */
  spread?: string
  baselineLabel: string
  baseline: number
  baselineSpread?: string
  /** How the two compare, e.g. value/baseline; `ratioLabel` says which way. */
  ratio: number
  ratioLabel: string
  goal: string
  /** true / false against the goal; null when the row is informative only. */
  met: boolean | null
}

export interface ScenarioResult {
  rows: Row[]
  details: Record<string, unknown>
}
