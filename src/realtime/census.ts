// Who is connected and to what: read from the Socket.IO server for /status, /stats and /metrics.
import { TOPICS, type Topic } from '../events.js'
import { ALL_BATCH_ROOMS, topicsOf, topicsOfBatchRoom } from './rooms.js'
import type { RealtimeServer } from './types.js'

/** Subscribers per topic, in either delivery mode. */
export function roomSizes(io: RealtimeServer): Record<Topic, number> {
  const rooms = io.of('/').adapter.rooms
  const sizes = Object.fromEntries(TOPICS.map((topic) => [topic, rooms.get(topic)?.size ?? 0])) as Record<Topic, number>
  for (const room of ALL_BATCH_ROOMS) {
    const members = rooms.get(room)?.size ?? 0
    if (members > 0) for (const topic of topicsOfBatchRoom(room) ?? []) sizes[topic] += members
  }
  return sizes
}

export function clientDetails(io: RealtimeServer) {
  return [...io.of('/').sockets.values()].map((socket) => ({
    id: socket.id,
    address: socket.data.address ?? socket.handshake.address,
    connectedAt: socket.data.connectedAt ?? socket.handshake.issued,
    topics: topicsOf(socket.rooms),
  }))
}

export function connectedClients(io: RealtimeServer): number {
  return io.of('/').sockets.size
}
