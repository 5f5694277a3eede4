// Reconnection delays (SPEC 5.4): the delay doubles with each retry up to `maxRetries`,
// then holds at the largest delay for ever. The service never gives up on Kismet: a
// sensor box that comes back after an hour must be picked up again without a restart.

/**
 * The delay before retry number `retry` (1-based): `baseMs * 2^(retry-1)` for retry
 * 1..maxRetries, then `baseMs * 2^(maxRetries-1)` for every later retry.
 * `retry <= 0` (or not a number) gives `baseMs`; `maxRetries < 1` counts as 1, so the
 * delay then never grows.
 */
export function backoffDelay(retry: number, baseMs: number, maxRetries: number): number {
  if (!(retry >= 1)) return baseMs
  const cap = Math.max(1, Math.floor(maxRetries))
  const exponent = Math.min(Math.floor(retry), cap) - 1
  return baseMs * 2 ** exponent
}
