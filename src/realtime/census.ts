// Who is connected and to what: read from the Socket.IO server for /status, /stats and /metrics.
// A client is a socket connected to the service's namespace (an engine.io connection that
// never joined it is not one); what it subscribed to is read from its rooms (rooms.ts).
import { TOPICS, type DeviceFilter, type SubscriptionsView, type Topic } from '../events.js'
import { subscriptionsOf, type Subscriptions } from './rooms.js'
import type { RealtimeServer } from './types.js'

/** Maps a filter id of a room name back to its filter (the Broadcaster's registry). */
export type FilterLookup = (id: string) => DeviceFilter | undefined

/** Subscriptions as clients see them (ack, /status): a filter by its canonical value, not its id. */
export function subscriptionsView(subscriptions: Subscriptions, filterOf: FilterLookup): SubscriptionsView {
  const view: SubscriptionsView = {}
  for (const topic of TOPICS) {
    const subscription = subscriptions[topic]
    if (!subscription) continue
    const { filter: id, ...rest } = subscription
    const filter = id === undefined ? undefined : filterOf(id)
    view[topic] = filter === undefined ? rest : { ...rest, filter }
  }
  return view
}

/** Subscribers per topic, in either delivery mode, whatever sensors they narrowed it to. */
export function roomSizes(io: RealtimeServer): Record<Topic, number> {
  const sizes = Object.fromEntries(TOPICS.map((topic) => [topic, 0])) as Record<Topic, number>
  for (const socket of io.of('/').sockets.values()) {
    const subscriptions = subscriptionsOf(socket.rooms)
    for (const topic of TOPICS) if (subscriptions[topic]) sizes[topic] += 1
  }
  return sizes
}

export function clientDetails(io: RealtimeServer, filterOf: FilterLookup) {
  return [...io.of('/').sockets.values()].map((socket) => {
    const subscriptions = subscriptionsOf(socket.rooms)
    return {
      id: socket.id,
      address: socket.data.address ?? socket.handshake.address,
      connectedAt: socket.data.connectedAt ?? socket.handshake.issued,
      topics: TOPICS.filter((topic) => subscriptions[topic] !== undefined),
      subscriptions: subscriptionsView(subscriptions, filterOf),
    }
  })
}

export function connectedClients(io: RealtimeServer): number {
  return io.of('/').sockets.size
}
