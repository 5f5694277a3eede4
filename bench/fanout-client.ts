// Socket.IO clients for the fan-out scenario, many per process (websocket transport, real
// socket.io-client), subscribed to `devices`. Each device:update envelope received is
// counted and its latency recorded: receipt Date.now() minus the envelope's `timestamp`
// (the same machine clock as the server's).
import { io, type Socket } from 'socket.io-client'
import type { AnyEnvelope } from '../src/events.js'
import { cpuMs, serve } from './lib/ipc.js'
import { MsHistogram } from './lib/stats.js'

let sockets: Socket[] = []
/** Sockets per server (key), for the batched opt-in. */
const groups = new Map<string, Socket[]>()
let hist = new MsHistogram()
let received = 0
let lastReceiptMs = 0
let since = Number.POSITIVE_INFINITY
let perSocket: Uint32Array = new Uint32Array(0)
let errors = 0

function onEnvelope(index: number, envelope: AnyEnvelope): void {
  if (envelope.type !== 'device:update' || envelope.timestamp < since) return
  const now = Date.now()
  hist.add(now - envelope.timestamp)
  received++
  perSocket[index]! += 1
  lastReceiptMs = now
}

function connectOne(url: string, index: number, batched: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 })
    socket.on('event', (envelope: AnyEnvelope) => onEnvelope(index, envelope))
    socket.on('events', (list: AnyEnvelope[]) => {
      for (const envelope of list) onEnvelope(index, envelope)
    })
    socket.on('error', () => {
      errors++
    })
    socket.once('connect_error', (error) => reject(error))
    socket.once('connect', () => {
      socket.emit('subscribe', ['devices'], (ack: { ok?: boolean }) => {
        if (!ack?.ok) return reject(new Error(`subscribe refused: ${JSON.stringify(ack)}`))
        if (!batched) return resolve(socket)
        socket.emit('bench:batched', () => resolve(socket))
      })
    })
  })
}

serve(
  {
    /** Opens `count` more sockets to `url` (grouped under `key`), `parallel` handshakes at a time. */
    async connect(args: { key: string; url: string; count: number; batched: boolean; parallel?: number }) {
      const parallel = args.parallel ?? 25
      const first = sockets.length
      const grown = new Uint32Array(first + args.count)
      grown.set(perSocket)
      perSocket = grown
      const group: Socket[] = groups.get(args.key) ?? []
      groups.set(args.key, group)
      for (let i = 0; i < args.count; i += parallel) {
        const batch = []
        for (let j = i; j < Math.min(args.count, i + parallel); j++) batch.push(connectOne(args.url, first + j, args.batched))
        const opened = await Promise.all(batch)
        sockets.push(...opened)
        group.push(...opened)
      }
      return { connected: group.filter((s) => s.connected).length }
    },

    /**
     * The sockets of `key` ask for batched delivery: kismet-ws through its own opt-in,
     * `subscribe(topics, { batch: true })`; the bare server through the bench's stand-in
     * (see server-host.ts), the same 10 ms tick.
     */
    async optIn(args: { key: string }) {
      const group = groups.get(args.key) ?? []
      const ask = (socket: Socket) =>
        new Promise<void>((resolve) =>
          args.key === 'kismet-ws'
            ? socket.emit('subscribe', ['devices'], { batch: true }, () => resolve())
            : socket.emit('bench:batched', () => resolve()),
        )
      await Promise.all(group.map(ask))
      return { optedIn: group.length }
    },

    /** Starts counting envelopes created at or after `sinceMs`. */
    begin(args: { sinceMs: number }) {
      hist = new MsHistogram()
      received = 0
      lastReceiptMs = 0
      perSocket.fill(0)
      since = args.sinceMs
      return {}
    },

    report() {
      let min = Number.POSITIVE_INFINITY
      let max = 0
      for (const n of perSocket) {
        if (n < min) min = n
        if (n > max) max = n
      }
      return {
        received,
        lastReceiptMs,
        hist: hist.toSparse(),
        perSocketMin: perSocket.length ? min : 0,
        perSocketMax: max,
        connected: sockets.filter((s) => s.connected).length,
        connectedByKey: Object.fromEntries([...groups].map(([key, list]) => [key, list.filter((s) => s.connected).length])),
        errors,
        cpuMs: cpuMs(),
      }
    },

    close() {
      for (const socket of sockets) socket.disconnect()
      sockets = []
      groups.clear()
      perSocket = new Uint32Array(0)
      return {}
    },
  },
  () => {
    for (const socket of sockets) socket.disconnect()
  },
)
