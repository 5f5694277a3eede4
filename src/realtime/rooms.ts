// Room names: one room per topic for per-event delivery, and one per topic for the sockets
// that asked for batched delivery.
import { TOPICS, type Topic } from '../events.js'

const BATCH_SUFFIX = ':batch'
const knownTopics: ReadonlySet<string> = new Set(TOPICS)

export function batchRoom(topic: Topic): string {
  return `${topic}${BATCH_SUFFIX}`
}

/** The topic a room stands for, or undefined for rooms that are not topics (a socket's own). */
export function topicOfRoom(room: string): Topic | undefined {
  const topic = room.endsWith(BATCH_SUFFIX) ? room.slice(0, -BATCH_SUFFIX.length) : room
  return knownTopics.has(topic) ? (topic as Topic) : undefined
}

/** The topics a socket is subscribed to, in either delivery mode. */
export function topicsOf(rooms: Iterable<string>): Topic[] {
  const topics = new Set<Topic>()
  for (const room of rooms) {
    const topic = topicOfRoom(room)
    if (topic) topics.add(topic)
  }
  return [...topics]
}
