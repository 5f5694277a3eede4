// A server in its own process, driven over IPC:
// - `startService`: the real kismet-ws app (app.ts with every plugin and route, as
//   server.ts builds it, logger off) — for fan-out, memory and new-device latency;
// - `startBare`: a plain `new Server(httpServer)` Socket.IO server whose only logic is
//   joining the room a client subscribes to — the fan-out baseline. A client may ask it
//   (`bench:batched`) for the bench's stand-in for batched delivery: one `events` packet per
//   publishing tick, to compare the mechanism alone with the service's own opt-in.
// `drive` publishes device:update envelopes at an exact rate: on the service through
// app.events (Broadcaster -> its rooms), on the bare server straight to
// io.to('devices').emit('event', envelope). `mem` reports memory after GC; `dropClients`
// ends every connection at once, dropping what is queued for it.
import { createServer, type Server as HttpServer } from 'node:http'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import Fastify, { type FastifyInstance } from 'fastify'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { Redis } from 'ioredis'
import { CHANNEL_PREFIX, SESSION_PREFIX, STREAM_NAME } from '../src/scale/keys.js'
import app from '../app.js'
import { EnvelopeFactory } from '../src/envelope.js'
import type { AnyEnvelope, WifiDevice } from '../src/events.js'
import { forceClose, recoveryBufferSize, trimRecoveryBuffer } from '../src/realtime/engine.js'
import { cpuMs, serve, sleep } from './lib/ipc.js'

let service: FastifyInstance | undefined
let bare: { http: HttpServer | undefined; io: Server; factory: EnvelopeFactory } | undefined
/** The stream publisher's Redis connection (scenario 12). */
let publisherRedis: Redis | undefined
/** Sockets of the bare server that asked for the batching stand-in join this room instead of 'devices'. */
const BATCH_ROOM = 'devices:batched'

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (!collect) throw new Error('run with --expose-gc')
  collect()
  collect()
}

/** A realistic device for the fan-out stream (about 350 bytes of JSON). */
function device(i: number): WifiDevice {
  const hex = (n: number) => n.toString(16).padStart(2, '0').toUpperCase()
  const mac = `A4:${hex((i >> 16) & 255)}:${hex((i >> 8) & 255)}:${hex(i & 255)}:5C:${hex(i % 251)}`
  const ap = i % 3 === 0
  return {
    key: `4202770D00000000_${mac.replaceAll(':', '')}0000`.slice(0, 29),
    mac,
    phy: 'IEEE802.11',
    name: ap ? `Network-${i}` : mac,
    ssid: ap ? `Network-${i}` : null,
    type: ap ? 'AP' : 'Client',
    manufacturer: ['Apple', 'Samsung Electronics Co.,Ltd', 'Intel Corporate', 'TP-LINK TECHNOLOGIES CO.,LTD.'][i % 4]!,
    channel: [1, 6, 11, 36, 44][i % 5]!,
    frequency: [2412, 2437, 2462, 5180, 5220][i % 5]!,
    signal: -40 - (i % 50),
    encryption: ap ? 'WPA2-PSK' : null,
    firstSeen: 1_795_629_000_000,
    lastSeen: 1_795_629_789_000,
    packets: 1000 + i,
    dataBytes: 250_000 + i * 13,
    ...(ap ? { clients: i % 7 } : { bssid: `A4:00:00:00:5C:${hex(i % 251)}` }),
  }
}

const POOL = Array.from({ length: 2000 }, (_, i) => device(i))

function updateData(n: number) {
  const base = POOL[n % POOL.length]!
  const changed: WifiDevice = { ...base, name: `${base.name}`, channel: [1, 6, 11, 36, 44][n % 5]!, lastSeen: Date.now(), packets: base.packets + n }
  return { device: changed, action: 'update' as const, changes: { channel: changed.channel, lastSeen: changed.lastSeen, packets: changed.packets } }
}

/** The bare server's batching stand-in: joins the bench's batched room on request, leaving the per-event room. */
function attachBatchOptIn(io: Server): void {
  io.on('connection', (socket) => {
    socket.on('bench:batched', (ack?: (v: unknown) => void) => {
      void socket.leave('devices')
      void socket.join(BATCH_ROOM)
      if (typeof ack === 'function') ack({ ok: true })
    })
  })
}

serve(
  {
    async startService(args: { env: Record<string, string> }) {
      const instance = Fastify({ logger: false, forceCloseConnections: true })
      await instance.register(app, { env: { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...args.env } })
      await instance.ready()
      const url = await instance.listen({ port: 0, host: '127.0.0.1' })
      service = instance
      return { url }
    },

    async startBare() {
      const http = createServer()
      const io = new Server(http)
      io.on('connection', (socket) => {
        socket.on('subscribe', (topics: unknown, ack?: (v: unknown) => void) => {
          const list = (Array.isArray(topics) ? topics : [topics]).filter((t): t is string => typeof t === 'string')
          void socket.join(list)
          if (typeof ack === 'function') ack({ ok: true, topics: list })
        })
      })
      attachBatchOptIn(io)
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()))
      bare = { http, io, factory: new EnvelopeFactory() }
      return { url: `http://127.0.0.1:${(http.address() as { port: number }).port}` }
    },

    /**
     * Scenario 12's producer stand-in: a Socket.IO server that never listens, on the Redis
     * streams adapter as a ROLE=producer sets it up (plugins/app/scale.ts), publishing with
     * `io.to('devices').emit` as the producer's Broadcaster does.
     */
    async startStreamPublisher(args: { redisUrl: string; maxLen: number }) {
      publisherRedis = new Redis(args.redisUrl)
      const io = new Server({ adapter: createAdapter(publisherRedis, { streamName: STREAM_NAME, maxLen: args.maxLen, sessionKeyPrefix: SESSION_PREFIX, channelPrefix: CHANNEL_PREFIX }) })
      bare = { http: undefined, io, factory: new EnvelopeFactory() }
      return {}
    },

    /** Memory after a full GC, with what the service holds. */
    mem() {
      gc()
      const m = process.memoryUsage()
      return {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        tracked: service?.sensors.deviceCount ?? 0,
        recoveryPackets: service ? recoveryBufferSize(service.io) : 0,
      }
    },

    /** Drops the connection-state-recovery buffer (to tell its share of the heap). */
    dropRecoveryBuffer() {
      return { dropped: service ? trimRecoveryBuffer(service.io, 0) : 0 }
    },

    tracked() {
      return { tracked: service?.sensors.deviceCount ?? 0, state: service?.sensors.state ?? 'none', eventbus: service?.sensors.all()[0]?.eventbus.state ?? 'none' }
    },

    /** The first sensor's Kismet traffic: REST requests and bytes, eventbus frames and bytes. */
    sensorTraffic() {
      const pipeline = service?.sensors.all()[0]
      if (!pipeline) throw new Error('no service')
      return {
        requests: pipeline.stats.kismetRequests,
        bytes: pipeline.stats.bytesReceived,
        polls: pipeline.stats.polls,
        eventbusBytes: pipeline.eventbusStats.bytesReceived,
        eventbusFrames: { ...pipeline.eventbusStats.frames },
        eventbusState: pipeline.eventbus.state,
      }
    },

    /** Puts `count` distinct devices in the default sensor's table (the export scenario), a third of them geolocated. */
    fillDevices(args: { count: number }) {
      const pipeline = service!.sensors.get('default')!
      const devices = Array.from({ length: args.count }, (_, i) => ({ ...device(i), key: `EXPORT_${i}`, ...(i % 3 === 0 && { location: { lat: 48 + i / 1e5, lon: 2 + i / 1e5, fix: 3 } }) }))
      pipeline.tracker.ingest(devices)
      return { tracked: pipeline.tracker.size }
    },

    /** The baseline of the export scenario: JSON.stringify of the same table (every row with its sensor), as one string. */
    stringifyTable() {
      gc()
      const t0 = performance.now()
      const rows = service!.sensors.all().flatMap((pipeline) => [...pipeline.tracker.values()].map((d) => ({ sensor: pipeline.name, device: d })))
      const text = JSON.stringify(rows)
      const ms = performance.now() - t0
      return { ms, bytes: Buffer.byteLength(text) }
    },

    collect() {
      gc()
      return { rss: process.memoryUsage.rss() }
    },

    cpu() {
      return { cpuMs: cpuMs(), rss: process.memoryUsage.rss() }
    },

    /** Ends every client connection now, with what is queued for it (an overloaded server's backlog). */
    dropClients() {
      const io = (service?.io as unknown as Server | undefined) ?? bare!.io
      let dropped = 0
      for (const socket of io.of('/').sockets.values()) {
        forceClose(socket.conn)
        dropped++
      }
      return { dropped }
    },

    /**
     * Publishes `rate` device:update envelopes per second for `durationMs`, on a 10 ms
     * tick that catches up to rate x elapsed (so a late tick publishes more, never fewer).
     * On the bare server, sockets that asked for the stand-in get one packet per tick.
     */
    async drive(args: { rate: number; durationMs: number; tickMs?: number; maxRssBytes?: number }) {
      const tickMs = args.tickMs ?? 10
      const delay = monitorEventLoopDelay({ resolution: 5 })
      delay.enable()
      const t0 = performance.now()
      const startMs = Date.now()
      let published = 0
      const publishOne = (n: number): AnyEnvelope => {
        if (service) {
          const envelope = service.envelopes.create('device:update', updateData(n), 'default')
          service.events.publish(envelope)
          return envelope
        }
        const envelope = bare!.factory.create('device:update', updateData(n), 'default')
        bare!.io.to('devices').emit('event', envelope)
        return envelope
      }
      const io = (service?.io as unknown as Server | undefined) ?? bare!.io
      const batchRoom = io.of('/').adapter.rooms.get(BATCH_ROOM)
      const batching = (batchRoom?.size ?? 0) > 0
      const maxRss = args.maxRssBytes ?? 3e9
      let aborted = false
      // A fixed window: a server that cannot keep the rate publishes fewer (its capacity).
      while (performance.now() - t0 < args.durationMs) {
        if (process.memoryUsage.rss() > maxRss) {
          aborted = true
          break
        }
        const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * args.rate), Math.floor((args.durationMs / 1000) * args.rate))
        const batch: AnyEnvelope[] = []
        while (published < due) batch.push(publishOne(published++))
        if (batching && batch.length > 0) io.to(BATCH_ROOM).emit('events', batch)
        await sleep(tickMs)
      }
      delay.disable()
      return {
        published,
        aborted,
        startMs,
        wallMs: performance.now() - t0,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        rss: process.memoryUsage.rss(),
      }
    },

    async close() {
      await service?.close()
      if (bare) {
        bare.io.close()
        const http = bare.http
        if (http) await new Promise<void>((resolve) => http.close(() => resolve()))
      }
      publisherRedis?.disconnect()
      publisherRedis = undefined
      service = undefined
      bare = undefined
      return {}
    },
  },
  async () => {
    await service?.close()
    bare?.io.close()
    publisherRedis?.disconnect()
  },
)
