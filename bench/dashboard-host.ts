// The service for the dashboard benchmark (scenario 8), in its own process: the real app
// (every plugin and route, the dashboard served from a fresh build) reading a simulator whose
// devices fill the table once; then `drive` publishes a stream of device events on
// app.events at an exact rate, about those very devices: mostly signal:update (a device heard
// again), some device:update (a field changed), as a busy sensor sends them.
import { performance } from 'node:perf_hooks'
import Fastify, { type FastifyInstance } from 'fastify'
import app from '../app.js'
import type { AnyEnvelope, WifiDevice } from '../src/events.js'
import { Prng } from '../sim/prng.js'
import { serve, sleep } from './lib/ipc.js'

let service: FastifyInstance | undefined
let devices: WifiDevice[] = []
const prng = new Prng(17)
const CHANNELS = [1, 6, 11, 36, 44, 149]

function envelopeFor(n: number, updateShare: number): AnyEnvelope {
  const factory = service!.envelopes
  const index = prng.int(0, devices.length - 1)
  const base = devices[index]!
  const signal = Math.max(-95, Math.min(-20, (base.signal ?? -60) + prng.int(-3, 3)))
  const heard = { ...base, signal, lastSeen: Date.now(), packets: base.packets + prng.int(1, 20), dataBytes: base.dataBytes + prng.int(0, 5000) }
  if (prng.next() < updateShare) {
    const channel = CHANNELS[n % CHANNELS.length]!
    const device = { ...heard, channel }
    devices[index] = device
    return factory.create('device:update', { action: 'update', device, changes: { channel, signal, lastSeen: heard.lastSeen, packets: heard.packets } }, 'default')
  }
  devices[index] = heard
  const { key, mac, lastSeen, packets, dataBytes } = heard
  return factory.create('signal:update', { key, mac, signal, lastSeen, packets, dataBytes }, 'default')
}

serve(
  {
    async start(args: { simUrl: string; apiKey: string; devices: number; dashboardDir: string }) {
      const instance = Fastify({ logger: false, forceCloseConnections: true })
      await instance.register(app, {
        dashboard: { dir: args.dashboardDir },
        env: {
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'silent',
          KISMET_ENABLED: 'true',
          KISMET_API_URL: args.simUrl,
          KISMET_API_KEY: args.apiKey,
          // One full load, then quiet: the stream is the bench's own.
          POLL_INTERVAL_MS: '3600000',
          HEARTBEAT_INTERVAL_MS: '3600000',
          DEVICE_TTL_S: '86400',
          KISMET_TIMEOUT_MS: '60000',
        },
      })
      await instance.ready()
      const url = await instance.listen({ port: 0, host: '127.0.0.1' })
      service = instance
      const pipeline = instance.sensors.get('default')!
      const t0 = Date.now()
      while (pipeline.tracker.size < args.devices) {
        if (Date.now() - t0 > 120_000) throw new Error(`only ${pipeline.tracker.size} of ${args.devices} devices loaded after 120 s`)
        await sleep(50)
      }
      devices = pipeline.tracker.all().map((device) => ({ ...device }))
      return { url, devices: devices.length }
    },

    /** Publishes `rate` envelopes per second for `durationMs`, on a 10 ms tick that catches up. */
    async drive(args: { rate: number; durationMs: number; updateShare: number }) {
      const t0 = performance.now()
      let published = 0
      const total = Math.floor((args.durationMs / 1000) * args.rate)
      while (published < total) {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * args.rate))
        while (published < due) service!.events.publish(envelopeFor(published++, args.updateShare))
        await sleep(10)
      }
      return { published, wallMs: performance.now() - t0 }
    },

    async close() {
      await service?.close()
      service = undefined
      return {}
    },
  },
  async () => {
    await service?.close()
  },
)
