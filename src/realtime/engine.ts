// Every place this service reads or changes Socket.IO's and engine.io's internals (protected
// APIs, no public equivalent). One module, so a Socket.IO upgrade is checked here and only
// here; test/realtime/engine.test.ts holds each function against the real server.
//
// - backlogBytes: what is queued for one connection and not yet handed to the kernel
//   (engine.io's writeBuffer and ws's bufferedAmount).
// - forceClose / closeWithin: closing connections whose client does not read, which a
//   graceful close would wait on for ever.
// - engineConnections / drainWrites: the engine's connections, and waiting for their writes.
// - trimRecoveryBuffer: connection state recovery keeps every broadcast packet for the
//   recovery window (and up to a minute more: its cleanup runs once a minute), whether or not
//   any client is away, so its memory follows the event rate; this caps the packets kept.
import type { RealtimeServer } from './types.js'

/** The parts of an engine.io connection read here. */
interface EngineConnection {
  readyState?: string
  writeBuffer?: Array<{ data?: unknown }>
  transport?: { socket?: { bufferedAmount?: unknown; readyState?: unknown; terminate?: () => void } }
  close(discard?: boolean): unknown
}

/** The part of socket.io-adapter's SessionAwareAdapter read here. */
interface RecoveryAdapter {
  packets?: unknown[]
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength
  return 0
}

/** Bytes queued for this connection and not yet handed to the kernel. */
export function backlogBytes(connection: unknown): number {
  const conn = connection as EngineConnection
  let bytes = 0
  for (const packet of conn.writeBuffer ?? []) bytes += sizeOf(packet.data)
  const buffered = conn.transport?.socket?.bufferedAmount
  if (typeof buffered === 'number') bytes += buffered
  return bytes
}

/**
 * Closes a connection now, dropping what is queued for it. A plain close waits for the
 * queue to drain, which never happens for a client that does not read; a websocket is
 * terminated (no closing handshake, which it would not read either).
 */
export function forceClose(connection: unknown): void {
  const conn = connection as EngineConnection
  const ws = conn.transport?.socket
  conn.close(true)
  ws?.terminate?.()
}

/** ws's readyState of a closed websocket. */
const WS_CLOSED = 3

/**
 * After a graceful close was asked of `connections`: waits up to `limitMs` for their
 * websockets to finish the closing handshake, then terminates the ones still open. A client
 * that does not read never answers that handshake, and its socket would hold the HTTP
 * server's close for ws's 30 s close timeout.
 */
export async function closeWithin(connections: unknown[], limitMs: number): Promise<void> {
  const sockets = connections.flatMap((connection) => {
    const ws = (connection as EngineConnection).transport?.socket
    return ws && typeof ws.terminate === 'function' ? [ws] : []
  })
  const open = () => sockets.filter((ws) => ws.readyState !== WS_CLOSED)
  const deadline = Date.now() + limitMs
  while (open().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  for (const ws of open()) ws.terminate?.()
}

/** engine.io's open connections (a protected record of id -> connection). */
export function engineConnections(io: RealtimeServer): unknown[] {
  return Object.values((io.engine as unknown as { clients: Record<string, unknown> }).clients)
}

/** Waits until every connection has written what was queued for it (handed to the kernel), or `limitMs` passes. */
export async function drainWrites(io: RealtimeServer, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs
  const pending = () => engineConnections(io).some((connection) => backlogBytes(connection) > 0)
  while (pending() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
}

export const DEFAULT_RECOVERY_BUFFER_PACKETS = 10_000

/**
 * Drops the oldest packets kept for recovery beyond `maxPackets`; returns how many. A client
 * away for longer than the last `maxPackets` events cover gets a fresh session (and a new
 * snapshot when it subscribes again) instead of a replay. Trims in batches (down to the cap
 * once it is exceeded by a tenth) so the cost per event stays constant.
 */
export function trimRecoveryBuffer(io: RealtimeServer, maxPackets: number): number {
  const packets = (io.of('/').adapter as unknown as RecoveryAdapter).packets
  if (!Array.isArray(packets) || packets.length <= maxPackets + Math.ceil(maxPackets / 10)) return 0
  const excess = packets.length - maxPackets
  packets.splice(0, excess)
  return excess
}

/** How many packets the recovery buffer holds now (0 without connection state recovery). */
export function recoveryBufferSize(io: RealtimeServer): number {
  const packets = (io.of('/').adapter as unknown as RecoveryAdapter).packets
  return Array.isArray(packets) ? packets.length : 0
}

/** A broadcast as a cluster adapter receives it from another server, before it delivers it to local sockets. */
export interface ClusterBroadcast {
  /** The packet's data: [event name, ...arguments]. */
  data: unknown[]
  rooms: readonly string[]
  /** Socket ids (or rooms) excluded: what is added here is not delivered by the adapter. */
  except: string[]
  /** The stream offset the adapter will append for connection state recovery (undefined: none). */
  offset: string | undefined
}

/** socket.io-adapter's ClusterAdapter message, as far as it is read here. */
interface ClusterMessage {
  type?: number
  data?: { requestId?: unknown; packet?: { type?: number; id?: unknown; data?: unknown[] }; opts?: { rooms?: string[]; except?: string[]; flags?: { volatile?: boolean } } }
}

/** socket.io-adapter's MessageType.BROADCAST. */
const CLUSTER_BROADCAST = 3
/** socket.io-parser's PacketType.EVENT. */
const EVENT_PACKET = 2

/**
 * Calls `hook` with every broadcast the cluster adapter receives from another server, just
 * before it is delivered to this server's sockets (ClusterAdapter.onMessage is wrapped). The
 * hook may exclude sockets (`except`) and deliver to them itself. Returns the unwrap.
 */
export function interceptClusterBroadcasts(io: RealtimeServer, hook: (broadcast: ClusterBroadcast) => void, after: () => void): () => void {
  const adapter = io.of('/').adapter as unknown as { onMessage(message: ClusterMessage, offset?: string): unknown }
  const original = adapter.onMessage
  if (typeof original !== 'function') throw new Error('The Socket.IO adapter is not a cluster adapter')
  adapter.onMessage = function (message: ClusterMessage, offset?: string) {
    const packet = message.data?.packet
    const opts = message.data?.opts
    if (message.type === CLUSTER_BROADCAST && message.data?.requestId === undefined && packet?.data && opts) {
      opts.except ??= []
      const recoverable = (io as unknown as { opts: { connectionStateRecovery?: unknown } }).opts.connectionStateRecovery !== undefined && packet.type === EVENT_PACKET && packet.id === undefined && opts.flags?.volatile === undefined
      hook({ data: packet.data, rooms: opts.rooms ?? [], except: opts.except, offset: recoverable ? offset : undefined })
      const result = original.call(this, message, offset)
      after()
      return result
    }
    return original.call(this, message, offset)
  }
  return () => {
    adapter.onMessage = original
  }
}

/**
 * Lets every socket of this server go the way `io.close()` does ("server shutting down", a
 * reason connection state recovery counts as recoverable: the session is saved, so that the
 * client, which sees its transport close and reconnects by itself, is recovered by another
 * server), then closes their connections. `disconnectSockets(true)` would instead send each a
 * DISCONNECT packet: "io server disconnect", after which a client does not reconnect by itself.
 */
export function closeRecoverably(io: RealtimeServer, connections: unknown[]): void {
  for (const socket of io.of('/').sockets.values()) (socket as unknown as { _onclose(reason: string): void })._onclose('server shutting down')
  for (const connection of connections) (connection as EngineConnection).close()
}
