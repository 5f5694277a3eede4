// Room names, and a socket's subscriptions read back from the rooms it is in (the rooms are
// the one record of what a socket subscribed to: connection state recovery restores them).
//
// A stream is a topic, narrowed to one sensor or not, filtered or not: `devices`,
// `devices@north`, `devices~3f9c2a1b0d4e5f60`, `devices@north~3f9c2a1b0d4e5f60` (the part
// after `~` is the id of a device filter, src/device-filter.ts; the Broadcaster's filter
// registry maps it back to the filter). An envelope about sensor S on topic T goes to the
// streams T and T@S, and, for each filter, to T~F and T@S~F as that filter decides.
// - Per-event delivery: one room per stream.
// - Batched delivery: a socket sits in one batch room named after the set of streams it takes
//   batched (`batch:alerts+devices@north`), so that everything it takes batched comes in one
//   stream, in the order it was published: envelope ids keep increasing at the client across
//   topics and sensors, as they do per event.
// Sensor names cannot hold '@', '+', ':' or '~' (src/sensor-config.ts), and filter ids are
// hex, so room names never collide, and a filter adds 17 characters to a name whatever it holds.
import { TOPICS, type Topic } from '../events.js'

const BATCH_PREFIX = 'batch:'
const SENSOR_SEPARATOR = '@'
const FILTER_SEPARATOR = '~'
const FILTER_ID = /^[0-9a-f]{16}$/
const knownTopics: ReadonlySet<string> = new Set(TOPICS)

function isTopic(name: string): name is Topic {
  return knownTopics.has(name)
}

/** A topic's subscription: which sensors (null: every sensor), whether batched, and the id of its device filter (if any). */
export interface TopicSubscription {
  sensors: string[] | null
  batch: boolean
  filter?: string
}

export type Subscriptions = Partial<Record<Topic, TopicSubscription>>

export function streamOf(topic: Topic, sensor?: string, filter?: string): string {
  const narrowed = sensor === undefined ? topic : `${topic}${SENSOR_SEPARATOR}${sensor}`
  return filter === undefined ? narrowed : `${narrowed}${FILTER_SEPARATOR}${filter}`
}

/** The topic, sensor and filter id of a stream name, or undefined for a name that is not one. */
export function parseStream(name: string): { topic: Topic; sensor: string | undefined; filter: string | undefined } | undefined {
  const tilde = name.indexOf(FILTER_SEPARATOR)
  const base = tilde < 0 ? name : name.slice(0, tilde)
  const filter = tilde < 0 ? undefined : name.slice(tilde + 1)
  if (filter !== undefined && !FILTER_ID.test(filter)) return undefined
  const at = base.indexOf(SENSOR_SEPARATOR)
  const topic = at < 0 ? base : base.slice(0, at)
  if (!isTopic(topic)) return undefined
  const sensor = at < 0 ? undefined : base.slice(at + 1)
  if (sensor === '') return undefined
  return { topic, sensor, filter }
}

/** The streams of one topic's subscription. */
export function streamsOf(topic: Topic, subscription: TopicSubscription): string[] {
  return subscription.sensors === null ? [streamOf(topic, undefined, subscription.filter)] : subscription.sensors.map((sensor) => streamOf(topic, sensor, subscription.filter))
}

/** The filter ids a room's name refers to (a filtered stream's room, or a batch room carrying filtered streams). */
export function filtersOfRoom(room: string): string[] {
  if (!room.includes(FILTER_SEPARATOR)) return []
  const streams = streamsOfBatchRoom(room) ?? [room]
  const ids = new Set<string>()
  for (const stream of streams) {
    const filter = parseStream(stream)?.filter
    if (filter !== undefined) ids.add(filter)
  }
  return [...ids]
}

/** The batch room of a set of streams (any order, repeats ignored). */
export function batchRoomOf(streams: Iterable<string>): string {
  return `${BATCH_PREFIX}${[...new Set(streams)].sort().join('+')}`
}

/** The streams a batch room carries, or undefined for a room that is not one. */
export function streamsOfBatchRoom(room: string): string[] | undefined {
  if (!room.startsWith(BATCH_PREFIX)) return undefined
  const streams = room.slice(BATCH_PREFIX.length).split('+')
  return streams.length > 0 && streams.every((stream) => parseStream(stream) !== undefined) ? streams : undefined
}

/** A socket's subscriptions, read from its rooms. */
export function subscriptionsOf(rooms: Iterable<string>): Subscriptions {
  const subscriptions: Subscriptions = {}
  const add = (stream: string, batch: boolean): void => {
    const parsed = parseStream(stream)
    if (!parsed) return
    const current = subscriptions[parsed.topic]
    const filter = parsed.filter === undefined ? {} : { filter: parsed.filter }
    if (parsed.sensor === undefined) subscriptions[parsed.topic] = { sensors: null, batch, ...filter }
    else if (!current) subscriptions[parsed.topic] = { sensors: [parsed.sensor], batch, ...filter }
    else if (current.sensors !== null && !current.sensors.includes(parsed.sensor)) current.sensors.push(parsed.sensor)
  }
  for (const room of rooms) {
    const batched = streamsOfBatchRoom(room)
    if (batched) for (const stream of batched) add(stream, true)
    else add(room, false)
  }
  for (const subscription of Object.values(subscriptions)) subscription.sensors?.sort()
  return subscriptions
}

/** The topics a socket is subscribed to, in either delivery mode (in the order of TOPICS). */
export function topicsOf(rooms: Iterable<string>): Topic[] {
  const subscriptions = subscriptionsOf(rooms)
  return TOPICS.filter((topic) => subscriptions[topic] !== undefined)
}

/** The rooms a set of subscriptions puts a socket in: per-event stream rooms and at most one batch room. */
export function roomsFor(subscriptions: Subscriptions): { streams: string[]; batchRoom: string | undefined } {
  const streams: string[] = []
  const batched: string[] = []
  for (const topic of TOPICS) {
    const subscription = subscriptions[topic]
    if (!subscription) continue
    ;(subscription.batch ? batched : streams).push(...streamsOf(topic, subscription))
  }
  return { streams, batchRoom: batched.length > 0 ? batchRoomOf(batched) : undefined }
}
