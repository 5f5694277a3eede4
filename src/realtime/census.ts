// Who is connected and to what: read from the Socket.IO server for /status, /stats and /metrics.
import { TOPICS, type Topic } from '../events.js'
import type { RealtimeServer } from './types.js'

export function roomSizes(io: RealtimeServer): Record<Topic, number> {
  const rooms = io.of('/').adapter.rooms
  return Object.fromEntries(TOPICS.map((topic) => [topic, rooms.get(topic)?.size ?? 0])) as Record<Topic, number>
}

export function clientDetails(io: RealtimeServer) {
  return [...io.of('/').sockets.values()].map((socket) => ({
    id: socket.id,
    address: socket.data.address ?? socket.handshake.address,
    connectedAt: socket.data.connectedAt ?? socket.handshake.issued,
    topics: [...socket.rooms].filter((room) => room !== socket.id),
  }))
}

export function connectedClients(io: RealtimeServer): number {
  return io.of('/').sockets.size
}
