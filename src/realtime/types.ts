// The typed Socket.IO server this service runs.
import type { Server, Socket } from 'socket.io'
import type { ClientToServerEvents, DeviceFilter, ServerToClientEvents } from '../events.js'

export interface SocketData {
  connectedAt: number
  address: string
  /** The device filter of the socket's devices subscription (restored with the rooms by connection state recovery). */
  filter?: DeviceFilter | undefined
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type InterServerEvents = {}
export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
