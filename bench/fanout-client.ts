// Socket.IO clients for the fan-out scenario, many per process (websocket transport),
// subscribed to `devices`. Each device:update envelope received is counted and its latency
// recorded: receipt Date.now() minus the envelope's `timestamp` (the same machine clock as
// the server's). Two kinds of client:
// - 'socket.io-client': the real library, as a Node or browser frontend uses it; it
//   JSON.parses every packet (about 3 µs per 470-byte envelope on the bench machine);
// - 'protocol': the Socket.IO protocol spoken directly (lib/protocol-client.ts), reading
//   each envelope's timestamp straight off the frame. A load generator as light as this is
//   what the service's own cost can be seen against on a 2-core box that also runs the 500
//   clients. Each frame's device:update envelopes are counted as well, and every 64th
//   frame is JSON.parsed in full and checked against what was read.
import { io, type Socket } from 'socket.io-client'
import type { AnyEnvelope } from '../src/events.js'
import { deviceUpdateTimestamps, isEventFrame } from './lib/event-frames.js'
import { cpuMs, serve } from './lib/ipc.js'
import { ProtocolClient } from './lib/protocol-client.js'
import { MsHistogram } from './lib/stats.js'

/** What the scenario needs of either kind of client. */
interface BenchSocket {
  readonly connected: boolean
  disconnect(): void
  /** Emits `event` with these arguments and resolves with the ack. */
  request(event: string, args: unknown[]): Promise<unknown>
}
type ClientKind = 'socket.io-client' | 'protocol'

let sockets: BenchSocket[] = []
/** Sockets per server (key), for the batched opt-in. */
const groups = new Map<string, BenchSocket[]>()
let hist = new MsHistogram()
let received = 0
/** Packets that carried at least one counted envelope. */
let packets = 0
let lastReceiptMs = 0
let since = Number.POSITIVE_INFINITY
let errors = 0
const errorSamples: string[] = []
function countError(sample: string): void {
  errors++
  if (errorSamples.length < 5) errorSamples.push(sample)
}

/** Counts one envelope the library client delivered; true if it was counted. */
function onEnvelope(envelope: AnyEnvelope): boolean {
  if (envelope.type !== 'device:update' || envelope.timestamp < since) return false
  const now = Date.now()
  hist.add(now - envelope.timestamp)
  received++
  lastReceiptMs = now
  return true
}

function libraryClient(socket: Socket): BenchSocket {
  return {
    get connected() {
      return socket.connected
    },
    disconnect: () => socket.disconnect(),
    request: (event, args) => new Promise((resolve) => socket.emit(event, ...args, resolve)),
  }
}

function connectLibrary(url: string): Promise<BenchSocket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 30_000 })
    socket.on('event', (envelope: AnyEnvelope) => {
      if (onEnvelope(envelope)) packets++
    })
    socket.on('events', (list: AnyEnvelope[]) => {
      let counted = false
      for (const envelope of list) counted = onEnvelope(envelope) || counted
      if (counted) packets++
    })
    socket.on('error', (error: unknown) => countError(String(error)))
    socket.once('connect_error', (error) => reject(error))
    socket.once('connect', () => resolve(libraryClient(socket)))
  })
}

/** Every so many frames read off the bytes, one is parsed in full and compared. */
const SAMPLE_EVERY = 64
let framesSeen = 0

/** Counts the device:update envelopes of one event message and records their latency. */
function onEventFrame(frame: Buffer, found: number[]): void {
  if (!isEventFrame(frame)) return
  if (!deviceUpdateTimestamps(frame, found, ++framesSeen % SAMPLE_EVERY === 0)) {
    countError(`frame read wrong: ${frame.toString().slice(0, 300)} / ${found.join(',')}`)
  }
  const now = Date.now()
  let counted = false
  for (const timestamp of found) {
    if (timestamp < since) continue
    hist.add(now - timestamp)
    received++
    lastReceiptMs = now
    counted = true
  }
  if (counted) packets++
}

async function connectProtocol(url: string): Promise<BenchSocket> {
  const found: number[] = []
  const client = new ProtocolClient({ url, onEvent: (frame) => onEventFrame(frame, found), onError: (error) => countError(String(error)) })
  await client.ready
  return client
}

async function connectOne(kind: ClientKind, url: string): Promise<BenchSocket> {
  const socket = kind === 'protocol' ? await connectProtocol(url) : await connectLibrary(url)
  const ack = (await socket.request('subscribe', [['devices']])) as { ok?: boolean } | undefined
  if (!ack?.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`)
  return socket
}

serve(
  {
    /** Opens `count` more sockets to `url` (grouped under `key`), `parallel` handshakes at a time. */
    async connect(args: { key: string; url: string; count: number; kind?: ClientKind; parallel?: number }) {
      const parallel = args.parallel ?? 25
      const group: BenchSocket[] = groups.get(args.key) ?? []
      groups.set(args.key, group)
      for (let i = 0; i < args.count; i += parallel) {
        const batch = []
        for (let j = i; j < Math.min(args.count, i + parallel); j++) batch.push(connectOne(args.kind ?? 'socket.io-client', args.url))
        const opened = await Promise.all(batch)
        sockets.push(...opened)
        group.push(...opened)
      }
      return { connected: group.filter((s) => s.connected).length }
    },

    /**
     * The sockets of `key` ask for batched delivery: kismet-ws through its own opt-in,
     * `subscribe(topics, { batch: true })`; the bare server through the bench's stand-in
     * (see server-host.ts): one packet per publishing tick.
     */
    async optIn(args: { key: string; via: 'subscribe' | 'bench:batched' }) {
      const group = groups.get(args.key) ?? []
      await Promise.all(group.map((socket) => (args.via === 'subscribe' ? socket.request('subscribe', [['devices'], { batch: true }]) : socket.request('bench:batched', []))))
      return { optedIn: group.length }
    },

    /**
     * The sockets of `key` subscribe to `devices` again, socket i with `options[i % options.length]`
     * (the filtered fan-out: many sockets over a few distinct filters).
     */
    async subscribeEach(args: { key: string; options: unknown[] }) {
      const group = groups.get(args.key) ?? []
      const acks = await Promise.all(group.map((socket, i) => socket.request('subscribe', [['devices'], args.options[i % args.options.length]])))
      const refused = acks.filter((ack) => !(ack as { ok?: boolean } | undefined)?.ok)
      if (refused.length > 0) throw new Error(`subscribe refused: ${JSON.stringify(refused[0])}`)
      return { subscribed: group.length }
    },

    /** Starts counting envelopes created at or after `sinceMs`. */
    begin(args: { sinceMs: number }) {
      hist = new MsHistogram()
      received = 0
      packets = 0
      lastReceiptMs = 0
      since = args.sinceMs
      return {}
    },

    report() {
      return {
        received,
        lastReceiptMs,
        hist: hist.toSparse(),
        connectedByKey: Object.fromEntries([...groups].map(([key, list]) => [key, list.filter((s) => s.connected).length])),
        errors,
        errorSamples,
        packets,
        cpuMs: cpuMs(),
      }
    },

    /** Disconnects the sockets of `key`. */
    disconnect(args: { key: string }) {
      for (const socket of groups.get(args.key) ?? []) socket.disconnect()
      return {}
    },

    close() {
      for (const socket of sockets) socket.disconnect()
      sockets = []
      groups.clear()
      return {}
    },
  },
  () => {
    for (const socket of sockets) socket.disconnect()
  },
)
