// Connection middleware: runs once per handshake, before a socket exists for the app.
// It checks the API token and caps connections per address.
import { timingSafeEqual } from 'node:crypto'
import type { ServiceStats } from '../stats.js'
import type { RealtimeSocket } from './types.js'

export interface ConnectionGuardOptions {
  /** When set, the handshake must carry `auth: { token }`. */
  apiToken?: string
  maxConnectionsPerAddress: number
  stats: ServiceStats
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

  const guard = (socket: RealtimeSocket, next: (error?: Error) => void): void => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined
    if (options.apiToken !== undefined && !tokensMatch(auth?.token, options.apiToken)) {
      options.stats.connectionsRefused += 1
      next(new Error('unauthorized'))
      return
    }
    const address = socket.handshake.address
    const count = perAddress.get(address) ?? 0
    if (count >= options.maxConnectionsPerAddress) {
      options.stats.connectionsRefused += 1
      next(new Error('too many connections from this address'))
      return
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
