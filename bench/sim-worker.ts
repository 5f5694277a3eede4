// The Kismet simulator in its own process, so its CPU time is its own (process.cpuUsage()
// over IPC) and it does not compete with the poller's event loop. Two clocks:
// - manual: the bench sets the simulator's time (upstream scenario: cycles without waiting);
// - real: Date.now() (new-device latency, memory).
import { serve, notify, cpuMs, sleep } from './lib/ipc.js'
import { KismetSimulator } from '../sim/simulator.js'
import { Prng } from '../sim/prng.js'

let sim: KismetSimulator | undefined
let nowMs = Date.now()
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
  return { cpuMs: cpuMs(), requests: stats.requests, bytesSent: stats.bytesSent, busyMs: stats.cpuMs, devices: keys.length }
}

serve(
  {
    async start(args: { devices: number; seed: number; apiKey: string; manualClock: boolean; startMs?: number; location?: { lat: number; lon: number } }) {
      manual = args.manualClock
      nowMs = args.startMs ?? Date.now()
      prng = new Prng(args.seed ^ 0xbe7c)
      sim = new KismetSimulator({
        apiKey: args.apiKey,
        seed: args.seed,
        devices: args.devices,
        clock: manual ? () => nowMs : Date.now,
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
     * Manual clock only: `changes` distinct random devices are heard at random moments
     * within (fromMs, fromMs + intervalMs], in time order; then the clock rests at the end.
     */
    step(args: { fromMs: number; intervalMs: number; changes: number }) {
      if (!manual) throw new Error('step needs the manual clock')
      const s = requireSim()
      const chosen = new Set<string>()
      while (chosen.size < Math.min(args.changes, keys.length)) chosen.add(prng.pick(keys))
      const moments = [...chosen].map((key) => ({ key, at: args.fromMs + 1 + Math.floor(prng.next() * args.intervalMs) })).sort((a, b) => a.at - b.at)
      for (const { key, at } of moments) {
        nowMs = at
        s.touchDevice(key)
      }
      nowMs = args.fromMs + args.intervalMs
      return { touched: moments.length, nowMs }
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
     * Real clock: adds `count` devices one at a time, with exponentially distributed gaps of
     * mean `meanGapMs` (random moments), and tells the parent each key and its creation
     * time (this process's wall clock, the one the service and clients share).
     */
    addOverTime(args: { count: number; meanGapMs: number }) {
      if (adding) throw new Error('already adding')
      adding = true
      const s = requireSim()
      void (async () => {
        for (let i = 0; i < args.count; i++) {
          const gap = -Math.log(1 - prng.next()) * args.meanGapMs
          await sleep(Math.max(1, Math.round(gap)))
          const createdAt = Date.now()
          const device = s.addDevice()
          keys.push(device.key)
          notify('added', { key: device.key, createdAt, index: i })
        }
        adding = false
        notify('addDone', { count: args.count })
      })()
      return {}
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
