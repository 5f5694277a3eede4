// Per-socket behaviour: the rate limiter in front of every client message, then
// subscribe / unsubscribe / ping exactly as SPEC section 3 defines them.
import type { Clock } from '../clock.js'
import type { ClientError, SubscriptionAck, Topic } from '../events.js'
import type { ServiceStats } from '../stats.js'
import { parseSubscribeOptions, parseSubscription } from './subscriptions.js'
import { batchedTopicsOf, batchRoomOf, topicsOf } from './rooms.js'
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
  /** Called after a socket newly joined topics, to send what a new subscriber needs first. */
  onJoined: (socket: RealtimeSocket, topics: Topic[]) => void
  /**
   * Called before a socket leaves a batch room and joins another, to send what is pending for
   * both: a socket switching delivery mode then neither loses, repeats nor reorders an
   * envelope, and a new batched subscriber gets nothing older than its snapshot after it.
   */
  beforeBatchRoomChange: (rooms: string[]) => void
}

type Ack = (value: unknown) => void

/** Socket.IO passes the ack as the last argument when the client asked for one. */
function splitArgs(args: unknown[]): { payload: unknown[]; ack: Ack | undefined } {
  const last = args.at(-1)
  return typeof last === 'function' ? { payload: args.slice(0, -1), ack: last as Ack } : { payload: args, ack: undefined }
}

function joinedTopics(socket: RealtimeSocket): Topic[] {
  return topicsOf(socket.rooms)
}

/** Moves the socket to the batch room of `topics` (none when empty). */
function setBatchedTopics(socket: RealtimeSocket, topics: Topic[], deps: ClientHandlerDeps): void {
  const current = batchedTopicsOf(socket.rooms)
  const from = current.length > 0 ? batchRoomOf(current) : undefined
  const to = topics.length > 0 ? batchRoomOf(topics) : undefined
  if (from === to) return
  deps.beforeBatchRoomChange([from, to].filter((room): room is string => room !== undefined))
  if (from) socket.leave(from)
  if (to) socket.join(to)
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
    const options = parseSubscribeOptions(payload[1])
    if (!options.ok) return refuse(options.error, ack)
    const subscribed = new Set(joinedTopics(socket))
    const fresh = parsed.topics.filter((topic) => !subscribed.has(topic))
    // One delivery mode per topic: subscribing again with the other mode switches it.
    const batched = new Set(batchedTopicsOf(socket.rooms))
    for (const topic of parsed.topics) {
      if (options.batch) batched.add(topic)
      else batched.delete(topic)
    }
    setBatchedTopics(socket, [...batched], deps)
    for (const topic of parsed.topics) {
      if (options.batch) socket.leave(topic)
      else socket.join(topic)
    }
    if (fresh.length > 0) deps.onJoined(socket, fresh)
    ack?.({ ok: true, topics: joinedTopics(socket) } satisfies SubscriptionAck)
  })

  untyped.on('unsubscribe', (...args) => {
    const { payload, ack } = splitArgs(args)
    const parsed = payload.length === 1 ? parseSubscription(payload[0]) : parseSubscription(undefined)
    if (!parsed.ok) return refuse(parsed.error, ack)
    setBatchedTopics(
      socket,
      batchedTopicsOf(socket.rooms).filter((topic) => !parsed.topics.includes(topic)),
      deps,
    )
    for (const topic of parsed.topics) socket.leave(topic)
    ack?.({ ok: true, topics: joinedTopics(socket) } satisfies SubscriptionAck)
  })

  untyped.on('ping', (...args) => {
    const { payload, ack } = splitArgs(args)
    const [timestamp] = payload
    const valid = payload.length === 0 || (payload.length === 1 && (timestamp === undefined || (typeof timestamp === 'number' && Number.isFinite(timestamp))))
    if (!valid) {
      deps.stats.clientErrors.INVALID_PAYLOAD += 1
      socket.emit('error', { code: 'INVALID_PAYLOAD', message: 'ping takes an optional number (the client timestamp)' })
    }
    ack?.(valid && typeof timestamp === 'number' ? timestamp : deps.clock.now())
  })
}
