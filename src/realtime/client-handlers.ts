// Per-socket behaviour: the rate limiter in front of every client message, then
// subscribe / unsubscribe / ping exactly as SPEC section 3 defines them.
import type { Clock } from '../clock.js'
import { TOPICS, type ClientError, type DeviceFilter, type SubscriptionAck, type Topic } from '../events.js'
import type { ServiceStats } from '../stats.js'
import { parseSubscribeOptions, parseSubscription } from './subscriptions.js'
import { subscriptionsView, type FilterLookup } from './census.js'
import type { RegisterResult } from './filter-registry.js'
import { roomsFor, subscriptionsOf, type Subscriptions, type TopicSubscription } from './rooms.js'
import { TokenBucket } from './token-bucket.js'
import type { RealtimeSocket } from './types.js'

export interface ClientLimits {
  /** Messages a socket may send at once. */
  burst: number
  /** Sustained messages per second. */
  perSecond: number
  /** Refused messages after which the socket is disconnected. */
  maxRefusals: number
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = { burst: 20, perSecond: 10, maxRefusals: 50 }

const CLIENT_EVENTS = new Set(['subscribe', 'unsubscribe', 'ping'])

export interface ClientHandlerDeps {
  clock: Clock
  stats: ServiceStats
  limits: ClientLimits
  /** The configured sensors' names (a subscription may narrow a topic to some of them). */
  sensorNames: () => string[]
  /**
   * Called after a subscription, for each topic whose subscription now covers sensors it did
   * not (or whose device filter changed: then every sensor it covers), to send what a new
   * subscriber needs first (a snapshot, the latest status). `filter`: the device filter's id.
   */
  onCovered: (socket: RealtimeSocket, topic: Topic, sensors: string[], filter: string | undefined) => void
  /** Registers a device filter (canonical) for rooms, or finds it registered. */
  registerFilter: (filter: DeviceFilter) => RegisterResult
  /** A filter id of a room name back to its filter. */
  filterOf: FilterLookup
  /**
   * Called before a socket leaves a batch room and joins another, to send what is pending for
   * both: a socket switching delivery mode then neither loses, repeats nor reorders an
   * envelope, and a new batched subscriber gets nothing older than its snapshot after it.
   */
  beforeBatchRoomChange: (rooms: string[]) => void
}

type Ack = (...values: unknown[]) => void

/** Socket.IO passes the ack as the last argument when the client asked for one. */
function splitArgs(args: unknown[]): { payload: unknown[]; ack: Ack | undefined } {
  const last = args.at(-1)
  return typeof last === 'function' ? { payload: args.slice(0, -1), ack: last as Ack } : { payload: args, ack: undefined }
}

/** The sensors a topic's subscription covers, by name (null means every configured sensor). */
function covered(subscription: TopicSubscription | undefined, all: string[]): Set<string> {
  if (!subscription) return new Set()
  return new Set(subscription.sensors ?? all)
}

/** Moves the socket to the rooms of `next`, sending what is pending for a batch room it leaves or joins first. */
function applySubscriptions(socket: RealtimeSocket, next: Subscriptions, deps: ClientHandlerDeps): void {
  const before = roomsFor(subscriptionsOf(socket.rooms))
  const after = roomsFor(next)
  if (before.batchRoom !== after.batchRoom) {
    deps.beforeBatchRoomChange([before.batchRoom, after.batchRoom].filter((room): room is string => room !== undefined))
    if (before.batchRoom) socket.leave(before.batchRoom)
    if (after.batchRoom) socket.join(after.batchRoom)
  }
  const keep = new Set(after.streams)
  for (const room of before.streams) if (!keep.has(room)) socket.leave(room)
  for (const room of after.streams) socket.join(room)
}

function ackOf(socket: RealtimeSocket, filterOf: FilterLookup): SubscriptionAck {
  const subscriptions = subscriptionsOf(socket.rooms)
  return { ok: true, topics: TOPICS.filter((topic) => subscriptions[topic] !== undefined), subscriptions: subscriptionsView(subscriptions, filterOf) }
}

export function attachClientHandlers(socket: RealtimeSocket, deps: ClientHandlerDeps): void {
  const bucket = new TokenBucket({ capacity: deps.limits.burst, refillPerSecond: deps.limits.perSecond, clock: deps.clock })
  let refusals = 0

  const refuse = (error: ClientError, ack?: Ack): void => {
    deps.stats.clientErrors[error.code] += 1
    socket.emit('error', error)
    ack?.({ ok: false, error } satisfies SubscriptionAck)
  }

  socket.use((packet, next) => {
    // Packets already read from the wire keep arriving after a disconnection: drop them.
    if (socket.disconnected) return
    if (bucket.take()) {
      next()
      return
    }
    refusals += 1
    const { ack } = splitArgs(packet.slice(1))
    refuse({ code: 'RATE_LIMITED', message: 'Too many messages; slow down' }, ack)
    if (refusals === deps.limits.maxRefusals) {
      deps.stats.socketsDropped += 1
      socket.disconnect(true)
    }
    // The packet is dropped: no handler sees it.
  })

  socket.onAny((event: unknown) => {
    if (typeof event !== 'string' || !CLIENT_EVENTS.has(event)) {
      refuse({ code: 'INVALID_PAYLOAD', message: `Unknown event; events are ${[...CLIENT_EVENTS].join(', ')}` })
    }
  })

  const untyped = socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }

  untyped.on('subscribe', (...args) => {
    const { payload, ack } = splitArgs(args)
    const parsed = payload.length === 1 || payload.length === 2 ? parseSubscription(payload[0]) : parseSubscription(undefined)
    if (!parsed.ok) return refuse(parsed.error, ack)
    const all = deps.sensorNames()
    const options = parseSubscribeOptions(payload[1], all)
    if (!options.ok) return refuse(options.error, ack)
    let filter: string | undefined
    if (options.filter !== null) {
      if (parsed.topics.some((topic) => topic !== 'devices')) {
        return refuse({ code: 'INVALID_FILTER', message: 'A filter applies to the devices topic only; subscribe to the other topics in another request' }, ack)
      }
      const registered = deps.registerFilter(options.filter)
      if (!registered.ok) return refuse({ code: 'INVALID_FILTER', message: registered.message }, ack)
      filter = registered.id
    }
    const current = subscriptionsOf(socket.rooms)
    const next: Subscriptions = { ...current }
    // Naming every sensor is the same as naming none: the topic's plain room, cheapest to route.
    const sensors = options.sensors === null || options.sensors.length === all.length ? null : [...options.sensors].sort()
    for (const topic of parsed.topics) next[topic] = { sensors, batch: options.batch, ...(filter !== undefined && { filter }) }
    applySubscriptions(socket, next, deps)
    // Kept for connection state recovery, which restores socket.data with the rooms (realtime.ts).
    if (parsed.topics.includes('devices')) socket.data.filter = options.filter ?? undefined
    for (const topic of parsed.topics) {
      // Another filter is another set of devices: the client gets every sensor's afresh.
      const refiltered = current[topic] !== undefined && current[topic].filter !== filter
      const had = refiltered ? new Set<string>() : covered(current[topic], all)
      const fresh = [...covered(next[topic], all)].filter((sensor) => !had.has(sensor))
      if (fresh.length > 0) deps.onCovered(socket, topic, fresh, filter)
    }
    ack?.(ackOf(socket, deps.filterOf))
  })

  untyped.on('unsubscribe', (...args) => {
    const { payload, ack } = splitArgs(args)
    const parsed = payload.length === 1 ? parseSubscription(payload[0]) : parseSubscription(undefined)
    if (!parsed.ok) return refuse(parsed.error, ack)
    const next = subscriptionsOf(socket.rooms)
    for (const topic of parsed.topics) delete next[topic]
    applySubscriptions(socket, next, deps)
    if (parsed.topics.includes('devices')) socket.data.filter = undefined
    ack?.(ackOf(socket, deps.filterOf))
  })

  untyped.on('ping', (...args) => {
    const { payload, ack } = splitArgs(args)
    const [timestamp] = payload
    const valid = payload.length === 0 || (payload.length === 1 && (timestamp === undefined || (typeof timestamp === 'number' && Number.isFinite(timestamp))))
    if (!valid) {
      deps.stats.clientErrors.INVALID_PAYLOAD += 1
      socket.emit('error', { code: 'INVALID_PAYLOAD', message: 'ping takes an optional number (the client timestamp)' })
    }
    // First argument: the client's timestamp echoed (the server's time when none was given,
    // as before); second: always the server's time, so a client can tell the two apart and
    // estimate the clock offset between the machines.
    const serverTime = deps.clock.now()
    ack?.(valid && typeof timestamp === 'number' ? timestamp : serverTime, serverTime)
  })
}
