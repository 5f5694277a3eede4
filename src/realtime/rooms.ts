// Room names. Per-event delivery: one room per topic. Batched delivery: a socket sits in one
// batch room named after the set of topics it takes batched (`batch:alerts+devices`), so
// that everything it takes batched comes in one stream, in the order it was published:
// envelope ids keep increasing at the client across topics, as they do per event.
import { TOPICS, type Topic } from '../events.js'

const BATCH_PREFIX = 'batch:'
const knownTopics: ReadonlySet<string> = new Set(TOPICS)

function isTopic(name: string): name is Topic {
  return knownTopics.has(name)
}

/** The batch room of a set of topics (any order, repeats ignored). */
export function batchRoomOf(topics: Iterable<Topic>): string {
  return `${BATCH_PREFIX}${[...new Set(topics)].sort().join('+')}`
}

/** Every batch room there can be: one per non-empty set of topics. */
export const ALL_BATCH_ROOMS: readonly string[] = Array.from({ length: 2 ** TOPICS.length - 1 }, (_, i) =>
  batchRoomOf(TOPICS.filter((_, bit) => ((i + 1) >> bit) & 1)),
)

/** The topics a batch room carries, or undefined for a room that is not one. */
export function topicsOfBatchRoom(room: string): Topic[] | undefined {
  if (!room.startsWith(BATCH_PREFIX)) return undefined
  const topics = room.slice(BATCH_PREFIX.length).split('+')
  return topics.length > 0 && topics.every(isTopic) ? topics : undefined
}

/** The topics a socket takes batched: those of its batch room. */
export function batchedTopicsOf(rooms: Iterable<string>): Topic[] {
  for (const room of rooms) {
    const topics = topicsOfBatchRoom(room)
    if (topics) return topics
  }
  return []
}

/** The topics a socket is subscribed to, in either delivery mode (in the order of TOPICS). */
export function topicsOf(rooms: Iterable<string>): Topic[] {
  const topics = new Set<Topic>()
  for (const room of rooms) {
    if (isTopic(room)) topics.add(room)
    for (const topic of topicsOfBatchRoom(room) ?? []) topics.add(topic)
  }
  return TOPICS.filter((topic) => topics.has(topic))
}
