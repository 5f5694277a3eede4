// When a TAK output tries again after a failure: the service's backoff (src/backoff.ts) from
// 1 s, doubling, held at 60 s (TAK-COT.md 5: DragonSync caps at 60 s), with "equal jitter"
// (half fixed, half random) so that many sensors that lost one TAK server do not all come
// back in the same second.
import { backoffDelay } from '../../backoff.js'

export const FIRST_RETRY_MS = 1000
export const LONGEST_RETRY_MS = 60_000

/** The delay before attempt `attempt` (1-based); `random` returns [0, 1) (Math.random, or a test's). */
export function retryDelay(attempt: number, random: () => number): number {
  const delay = Math.min(LONGEST_RETRY_MS, backoffDelay(attempt, FIRST_RETRY_MS, 7))
  return Math.round(delay / 2 + (delay / 2) * random())
}
