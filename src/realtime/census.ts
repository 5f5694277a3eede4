// Who is connected and to what: read from the Socket.IO server for /status, /stats and /metrics.
// A client is a socket connected to the service's namespace (an engine.io connection that
// never joined it is not one); what it subscribed to is read from its rooms (rooms.ts).
import { TOPICS, type Topic } from '../events.js'
import { subscriptionsOf } from './rooms.js'
import type { RealtimeServer } from './types.js'

/** Subscribers per topic, in either delivery mode, whatever sensors they narrowed it to. */
export function roomSizes(io: RealtimeServer): Record<Topic, number> {
  const sizes = Object.fromEntries(TOPICS.map((topic) => [topic, 0])) as Record<Topic, number>
  for (const socket of io.of('/').sockets.values()) {
    const subscriptions = subscriptionsOf(socket.rooms)
    for (const topic of TOPICS) if (subscriptions[topic]) sizes[topic] += 1
  }
  return sizes
}

export function clientDetails(io: RealtimeServer) {
  return [...io.of('/').sockets.values()].map((socket) => {
    const subscriptions = subscriptionsOf(socket.rooms)
    return {
      id: socket.id,
      address: socket.data.address ?? socket.handshake.address,
      connectedAt: socket.data.connectedAt ?? socket.handshake.issued,
      topics: TOPICS.filter((topic) => subscriptions[topic] !== undefined),
      subscriptions,
    }
  })
}

export function connectedClients(io: RealtimeServer): number {
  return io.of('/').sockets.size
}
