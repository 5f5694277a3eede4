// CoT over UDP, one event per datagram: to the TAK mesh multicast group (ATAK, WinTAK and
// iTAK listen on 239.2.3.1:6969 by default), with a TTL (1: this LAN only) and, on a sensor
// box with several interfaces, the interface to send from; or to one TAK client (unicast,
// port 4242 by default). Nothing is queued: an event that cannot go out now is dropped and
// counted (the next refresh carries the marker again). The socket never joins a group and
// has no 'message' listener: nothing sent to its ephemeral port is read.
import dgram from 'node:dgram'
import { isIPv6 } from 'node:net'
import type { Clock, TimerHandle } from '../../clock.js'
import type { TakStatusData } from '../../events.js'
import type { CotMessage } from '../markers.js'
import { describeError, OutputStatus, type StatusListener, type TakOutput } from './output.js'
import { retryDelay } from './reconnect.js'

export type UdpTarget =
  | { kind: 'multicast'; address: string; port: number; ttl: number; interface?: string }
  | { kind: 'unicast'; host: string; port: number }

export interface UdpOutputOptions {
  target: UdpTarget
  clock: Clock
  onStatus: StatusListener
  random?: () => number
}

export class UdpOutput implements TakOutput {
  readonly name: 'multicast' | 'unicast'
  readonly #o: UdpOutputOptions
  readonly #status: OutputStatus
  #socket: dgram.Socket | undefined
  #retryTimer: TimerHandle | undefined
  #attempts = 0
  #closed = false

  constructor(options: UdpOutputOptions) {
    this.#o = options
    const { target } = options
    this.name = target.kind
    const host = target.kind === 'multicast' ? target.address : target.host
    this.#status = new OutputStatus(target.kind, `${host.includes(':') ? `[${host}]` : host}:${target.port}`)
  }

  start(): void {
    if (this.#closed || this.#socket) return
    const { target } = this.#o
    const host = target.kind === 'multicast' ? target.address : target.host
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' })
    this.#socket = socket
    socket.on('error', (error) => this.#fail(socket, error))
    const ready = () => {
      if (this.#socket !== socket) return
      try {
        if (target.kind === 'multicast') {
          socket.setMulticastTTL(target.ttl)
          if (target.interface !== undefined) socket.setMulticastInterface(target.interface)
        }
      } catch (error) {
        this.#fail(socket, error)
        return
      }
      this.#attempts = 0
      this.#status.connects += 1
      this.#status.connectedAt = this.#o.clock.now()
      this.#setState('connected')
    }
    if (target.kind === 'multicast') socket.bind({ port: 0, ...(target.interface !== undefined && { address: target.interface }) }, ready)
    else socket.connect(target.port, target.host, (error?: Error) => (error ? this.#fail(socket, error) : ready()))
  }

  send(message: CotMessage): void {
    const socket = this.#socket
    if (this.#status.state !== 'connected' || !socket) {
      this.#status.dropped += 1
      this.#o.onStatus(this.name, false)
      return
    }
    const datagram = Buffer.from(message.xml, 'utf8')
    const done = (error: Error | null) => {
      if (error) {
        this.#status.dropped += 1
        this.#noteError(error)
      } else {
        this.#status.sent += 1
        this.#status.bytesSent += datagram.length
      }
      this.#o.onStatus(this.name, false)
    }
    const { target } = this.#o
    try {
      if (target.kind === 'multicast') socket.send(datagram, target.port, target.address, done)
      else socket.send(datagram, done)
    } catch (error) {
      done(error as Error)
    }
  }

  status(): TakStatusData {
    return this.#status.snapshot(0)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#retryTimer) this.#o.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()))
    this.#setState('closed')
  }

  #noteError(error: unknown): void {
    this.#status.lastError = describeError(error)
    this.#status.lastErrorAt = this.#o.clock.now()
  }

  /** The socket cannot be used (bind, connect or DNS failed): close it and try again later. */
  #fail(socket: dgram.Socket, error: unknown): void {
    this.#noteError(error)
    if (this.#socket !== socket) return
    this.#socket = undefined
    try {
      socket.close()
    } catch {
      // already closed
    }
    if (this.#closed) return
    this.#attempts += 1
    this.#status.connectedAt = null
    this.#setState('backoff')
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined
      this.#setState('connecting')
      this.start()
    }, retryDelay(this.#attempts, this.#o.random ?? Math.random))
  }

  #setState(state: OutputStatus['state']): void {
    const changed = this.#status.state !== state
    this.#status.state = state
    if (changed) this.#o.onStatus(this.name, true)
  }
}
