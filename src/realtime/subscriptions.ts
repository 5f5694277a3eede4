// Validation of `subscribe` / `unsubscribe` payloads (SPEC section 3): one known topic or
// an array of at most 16 known topics, refused as a whole otherwise; the options, with the
// device filter checked on its own so that a bad one is told apart (INVALID_FILTER).
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { parseFilter } from '../device-filter.js'
import { MAX_SENSORS_PER_REQUEST, MAX_TOPICS_PER_REQUEST, SubscribeOptionsSchema, SubscriptionRequestSchema, TOPICS, type ClientError, type DeviceFilter, type Topic } from '../events.js'

const validRequest = TypeCompiler.Compile(SubscriptionRequestSchema)
const validOptions = TypeCompiler.Compile(SubscribeOptionsSchema)
const knownTopics: ReadonlySet<string> = new Set(TOPICS)

export type ParsedSubscription = { ok: true; topics: Topic[] } | { ok: false; error: ClientError }

export function parseSubscription(payload: unknown): ParsedSubscription {
  if (validRequest.Check(payload)) {
    const list = typeof payload === 'string' ? [payload] : payload
    return { ok: true, topics: [...new Set(list)] }
  }
  // Tell a wrong shape apart from a well-formed request naming an unknown topic.
  const list = typeof payload === 'string' ? [payload] : payload
  if (Array.isArray(list) && list.length > MAX_TOPICS_PER_REQUEST) {
    return { ok: false, error: { code: 'INVALID_PAYLOAD', message: `At most ${MAX_TOPICS_PER_REQUEST} topics per request` } }
  }
  if (Array.isArray(list) && list.length > 0 && list.every((t) => typeof t === 'string')) {
    const unknown = (list as string[]).filter((t) => !knownTopics.has(t))
    return {
      ok: false,
      error: {
        code: 'INVALID_TOPIC',
        // Echo at most a short, printable prefix of what the client sent.
        message: `Unknown topic ${JSON.stringify(String(unknown[0]).slice(0, 40))}; topics are ${TOPICS.join(', ')}`,
      },
    }
  }
  return {
    ok: false,
    error: { code: 'INVALID_PAYLOAD', message: `Expected a topic or an array of topics (${TOPICS.join(', ')})` },
  }
}

export type ParsedSubscribeOptions = { ok: true; batch: boolean; sensors: string[] | null; filter: DeviceFilter | null } | { ok: false; error: ClientError }

/**
 * The optional second argument of `subscribe`: absent, or `{ batch?: boolean, sensors?: string[], filter?: DeviceFilter }`
 * naming configured sensors; the filter in its canonical form (null: none, or an empty one).
 */
export function parseSubscribeOptions(options: unknown, knownSensors: readonly string[]): ParsedSubscribeOptions {
  if (options === undefined) return { ok: true, batch: false, sensors: null, filter: null }
  if (!validOptions.Check(options)) {
    return {
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: `subscribe options are { batch?: boolean, sensors?: string[], filter?: DeviceFilter } (1 to ${MAX_SENSORS_PER_REQUEST} sensor names, no repeats)` },
    }
  }
  const sensors = options.sensors ?? null
  const unknown = sensors?.find((sensor) => !knownSensors.includes(sensor))
  if (unknown !== undefined) {
    return { ok: false, error: { code: 'INVALID_SENSOR', message: `Unknown sensor ${JSON.stringify(unknown)}; sensors are ${knownSensors.join(', ')}` } }
  }
  let filter: DeviceFilter | null = null
  if (options.filter !== undefined) {
    const parsed = parseFilter(options.filter)
    if (!parsed.ok) return { ok: false, error: { code: 'INVALID_FILTER', message: parsed.message } }
    filter = parsed.filter
  }
  return { ok: true, batch: options.batch === true, sensors, filter }
}
