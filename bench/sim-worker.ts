// The Kismet simulator in its own process, so its CPU time is its own (process.cpuUsage()
// over IPC) and it does not compete with the poller's event loop. Two clocks:
// - manual: the bench sets the simulator's time (upstream and sensor-load scenarios: cycles
//   without waiting); the eventbus's one-second tick runs on that clock too;
// - real: Date.now() (new-device latency, memory).
import { serve, notify, cpuMs, sleep } from './lib/ipc.js'
import { ManualClock } from '../src/clock.js'
import { KismetSimulator } from '../sim/simulator.js'
import { Prng } from '../sim/prng.js'

let sim: KismetSimulator | undefined
let clock = new ManualClock()
let manual = false
let keys: string[] = []
let prng = new Prng(1)
let ticker: ReturnType<typeof setInterval> | undefined
let adding = false

function requireSim(): KismetSimulator {
  if (!sim) throw new Error('simulator not started')
  return sim
}

function snapshot() {
  const stats = requireSim().stats
  const eventbus = requireSim().eventbusStats
  return { cpuMs: cpuMs(), requests: stats.requests, bytesSent: stats.bytesSent, busyMs: stats.cpuMs, devices: keys.length, eventbusBytes: eventbus.bytes, eventbusFrames: eventbus.frames }
}

serve(
  {
    async start(args: { devices: number; seed: number; apiKey: string; manualClock: boolean; startMs?: number; location?: { lat: number; lon: number } }) {
      manual = args.manualClock
      clock = new ManualClock(args.startMs ?? Date.now())
      prng = new Prng(args.seed ^ 0xbe7c)
      sim = new KismetSimulator({
        apiKey: args.apiKey,
        seed: args.seed,
        devices: args.devices,
        clock: manual ? () => clock.now() : Date.now,
        ...(manual && { timers: clock }),
        ...(args.location && { location: args.location }),
      })
      keys = sim.devices().map((d) => d.key)
      const url = await sim.listen(0, '127.0.0.1')
      return { url, devices: keys.length, startSec: sim.startSec }
    },

    /** Current CPU time of this process and the simulator's traffic counters. */
    snapshot() {
      return snapshot()
    },

    /**
     * Manual clock only: `changes` distinct random devices (every device when `changes` is
     * the table's size) are heard at random moments within (fromMs, fromMs + intervalMs], in
     * time order; then the clock rests at the end. The eventbus ticks as the clock passes.
     */
    step(args: { fromMs: number; intervalMs: number; changes: number }) {
      if (!manual) throw new Error('step needs the manual clock')
      const s = requireSim()
      const chosen = new Set<string>()
      if (args.changes >= keys.length) for (const key of keys) chosen.add(key)
      while (chosen.size < Math.min(args.changes, keys.length)) chosen.add(prng.pick(keys))
      const moments = [...chosen].map((key) => ({ key, at: args.fromMs + 1 + Math.floor(prng.next() * args.intervalMs) })).sort((a, b) => a.at - b.at)
      for (const { key, at } of moments) {
        if (at > clock.now()) clock.advance(at - clock.now())
        s.touchDevice(key)
      }
      const end = args.fromMs + args.intervalMs
      if (end > clock.now()) clock.advance(end - clock.now())
      return { touched: moments.length, nowMs: clock.now() }
    },

    /** Real clock: every `everyMs`, `share` of the devices are heard again (background life). */
    tick(args: { everyMs: number; share: number }) {
      if (ticker) clearInterval(ticker)
      ticker = setInterval(() => {
        const s = requireSim()
        const n = Math.round(keys.length * args.share)
        for (let i = 0; i < n; i++) s.touchDevice(prng.pick(keys))
      }, args.everyMs)
      return {}
    },

    /**
     * Real clock: `count` events one at a time with exponentially distributed gaps of mean
     * `meanGapMs`, alternately a new device and an alert, each told to the parent with its
     * creation time (this process's wall clock, shared with the service and the clients).
     */
    eventsOverTime(args: { count: number; meanGapMs: number }) {
      if (adding) throw new Error('already adding')
      adding = true
      const s = requireSim()
      void (async () => {
        for (let i = 0; i < args.count; i++) {
          const gap = -Math.log(1 - prng.next()) * args.meanGapMs
          await sleep(Math.max(1, Math.round(gap)))
          const createdAt = Date.now()
          if (i % 2 === 0) {
            const device = s.addDevice()
            keys.push(device.key)
            notify('added', { key: device.key, createdAt, index: i })
          } else {
            const alert = s.raiseAlert()
            notify('alerted', { id: String(alert.hash), createdAt, index: i })
          }
        }
        adding = false
        notify('eventsDone', { count: args.count })
      })()
      return {}
    },

    /** Real clock: `count` devices at once (the start of a large scenario), each told to the parent. */
    burst(args: { count: number }) {
      const s = requireSim()
      const createdAt = Date.now()
      const added: string[] = []
      for (let i = 0; i < args.count; i++) {
        const device = s.addDevice()
        keys.push(device.key)
        added.push(device.key)
      }
      return { createdAt, keys: added, doneAt: Date.now() }
    },

    async close() {
      if (ticker) clearInterval(ticker)
      await sim?.close()
      sim = undefined
      return {}
    },
  },
  async () => {
    if (ticker) clearInterval(ticker)
    await sim?.close()
  },
)
