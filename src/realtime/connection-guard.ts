// Connection middleware: runs once per handshake (and again when a dropped client recovers
// its session), before a socket exists for the app. It checks the browser's origin against
// CORS_ORIGIN, the API token, and caps connections per address. Whatever the transport, a
// refused client gets `connect_error` with the reason (refusals.ts, REFUSAL_MESSAGES), and
// the refusal is counted and logged (RefusalLog).
import { timingSafeEqual } from 'node:crypto'
import type { ServiceStats } from '../stats.js'
import { originAllowed, sameOrigin, type AllowedOrigins } from './origins.js'
import { REFUSAL_MESSAGES, type Refusal, type RefusalLog } from './refusals.js'
import type { RealtimeSocket } from './types.js'

export interface ConnectionGuardOptions {
  /** Browsers' origins allowed (CORS_ORIGIN); a handshake without Origin is no browser's and passes. */
  origins: AllowedOrigins
  /** When set, the handshake must carry `auth: { token }`. */
  apiToken?: string
  maxConnectionsPerAddress: number
  stats: ServiceStats
  refusals: RefusalLog
  now: () => number
}

export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function createConnectionGuard(options: ConnectionGuardOptions) {
  const perAddress = new Map<string, number>()

  const refuse = (refusal: Refusal, next: (error?: Error) => void): void => {
    options.stats.connectionsRefused[refusal.reason] += 1
    options.refusals.refused(refusal)
    next(new Error(REFUSAL_MESSAGES[refusal.reason]))
  }

  const guard = (socket: RealtimeSocket, next: (error?: Error) => void): void => {
    const address = socket.handshake.address
    const origin = socket.handshake.headers.origin
    // A page of this very service (the dashboard) needs no CORS_ORIGIN entry, as a same-origin page never does for REST.
    const allowed = originAllowed(origin, options.origins) || sameOrigin(origin, socket.handshake.headers.host)
    if (!allowed) return refuse({ reason: 'origin', address, origin }, next)
    const auth = socket.handshake.auth as { token?: unknown } | undefined
    if (options.apiToken !== undefined && !tokensMatch(auth?.token, options.apiToken)) {
      return refuse({ reason: 'token', address, origin, tokenSent: auth?.token !== undefined }, next)
    }
    const count = perAddress.get(address) ?? 0
    if (count >= options.maxConnectionsPerAddress) {
      return refuse({ reason: 'address_cap', address, origin, cap: options.maxConnectionsPerAddress }, next)
    }
    perAddress.set(address, count + 1)
    socket.data.address = address
    socket.data.connectedAt = options.now()
    // The place is given back once, at the socket's disconnect or at the close of its
    // connection, whichever comes first: a connection that closes between this middleware
    // and the connection event (a CONNECT and a close in one polling POST) never gets a
    // socket 'disconnect', and would otherwise hold its place for ever.
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      const left = (perAddress.get(address) ?? 1) - 1
      if (left <= 0) perAddress.delete(address)
      else perAddress.set(address, left)
    }
    socket.once('disconnect', release)
    // With connection state recovery the middleware runs after an await, so the connection may
    // have closed already (its 'close' event is then gone).
    if (socket.conn.readyState === 'closed' || socket.conn.readyState === 'closing') release()
    else socket.conn.once('close', release)
    next()
  }
  return { guard, connectionsFrom: (address: string) => perAddress.get(address) ?? 0 }
}
