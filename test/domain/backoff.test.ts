import t from 'tap'
import { backoffDelay } from '../../src/backoff.js'

t.test('defaults (5 s, 5 retries): 5, 10, 20, 40, 80 s, then 80 s for ever', async (t) => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 100, 10_000].map((retry) => backoffDelay(retry, 5000, 5))
  t.same(delays, [5000, 10_000, 20_000, 40_000, 80_000, 80_000, 80_000, 80_000, 80_000])
})

t.test('retry 0, negative or NaN gives the base delay', async (t) => {
  t.equal(backoffDelay(0, 5000, 5), 5000)
  t.equal(backoffDelay(-3, 5000, 5), 5000)
  t.equal(backoffDelay(Number.NaN, 5000, 5), 5000)
})

t.test('other bases and retry limits', async (t) => {
  t.same([1, 2, 3, 4].map((r) => backoffDelay(r, 100, 2)), [100, 200, 200, 200])
  t.same([1, 2, 3].map((r) => backoffDelay(r, 250, 1)), [250, 250, 250])
  t.same([1, 2].map((r) => backoffDelay(r, 250, 0)), [250, 250], 'maxRetries < 1: the delay never grows')
})

t.test('a huge retry count does not overflow to Infinity', async (t) => {
  t.equal(backoffDelay(Number.MAX_SAFE_INTEGER, 5000, 5), 80_000)
})
