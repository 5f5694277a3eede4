// Room names, and a socket's subscriptions read back from the rooms it is in (the rooms are
// the one record of what a socket subscribed to: connection state recovery restores them).
//
// A stream is a topic, or a topic narrowed to one sensor: `devices`, `devices@north`. An
// envelope about sensor S on topic T goes to the streams T and T@S.
// - Per-event delivery: one room per stream.
// - Batched delivery: a socket sits in one batch room named after the set of streams it takes
//   batched (`batch:alerts+devices@north`), so that everything it takes batched comes in one
//   stream, in the order it was published: envelope ids keep increasing at the client across
//   topics and sensors, as they do per event.
// Sensor names cannot hold '@', '+' or ':' (src/sensor-config.ts), so room names never collide.
import { TOPICS, type Topic } from '../events.js'

const BATCH_PREFIX = 'batch:'
const SENSOR_SEPARATOR = '@'
const knownTopics: ReadonlySet<string> = new Set(TOPICS)

function isTopic(name: string): name is Topic {
  return knownTopics.has(name)
}

/** A topic's subscription: which sensors (null: every sensor) and whether batched. */
export interface TopicSubscription {
  sensors: string[] | null
  batch: boolean
}

export type Subscriptions = Partial<Record<Topic, TopicSubscription>>

export function streamOf(topic: Topic, sensor?: string): string {
  return sensor === undefined ? topic : `${topic}${SENSOR_SEPARATOR}${sensor}`
}

/** The topic and sensor of a stream name, or undefined for a name that is not one. */
export function parseStream(name: string): { topic: Topic; sensor: string | undefined } | undefined {
  const at = name.indexOf(SENSOR_SEPARATOR)
  const topic = at < 0 ? name : name.slice(0, at)
  if (!isTopic(topic)) return undefined
  const sensor = at < 0 ? undefined : name.slice(at + 1)
  if (sensor === '') return undefined
  return { topic, sensor }
}

/** The streams of one topic's subscription. */
export function streamsOf(topic: Topic, subscription: TopicSubscription): string[] {
  return subscription.sensors === null ? [topic] : subscription.sensors.map((sensor) => streamOf(topic, sensor))
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
    if (parsed.sensor === undefined) subscriptions[parsed.topic] = { sensors: null, batch }
    else if (!current) subscriptions[parsed.topic] = { sensors: [parsed.sensor], batch }
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
