// A service wired to a Kismet simulator over real HTTP, with time under the test's control:
// one ManualClock drives the simulator's clock, the poller's timers and the throttle. The
// poll loop's own timers are set far out so a test runs cycles explicitly. With `eventbus`
// the service also holds the simulator's eventbus websocket (KISMET_EVENTBUS=on), whose
// one-second TIMESTAMP tick is on the same ManualClock: `second()` moves time one second and
// waits for that TIMESTAMP to arrive, so the 3 s watchdog only fires when a test means it to.
import type { FastifyInstance } from 'fastify'
import type { AppOptions } from '../../app.js'
import { ManualClock } from '../../src/clock.js'
import type { AnyEnvelope, EventType, WifiDevice } from '../../src/events.js'
import { KismetClient } from '../../src/kismet/client.js'
import type { Pipeline as SensorPipeline } from '../../src/pipeline.js'
import { KismetSimulator, type SimulatorOptions } from '../../sim/simulator.js'
import { startApp, TEST_API_KEY, testEnv, type TestLike } from '../helper.js'

export interface Pipeline {
  clock: ManualClock
  sim: KismetSimulator
  app: FastifyInstance
  /** The app's one sensor's pipeline (named `default`). */
  pipeline: SensorPipeline
  url: string
  /** Every envelope the pipeline published, in order. */
  envelopes: AnyEnvelope[]
  /** Envelopes published since the last call (device and alert events only unless asked). */
  take(types?: EventType[]): AnyEnvelope[]
  /** Runs one poll cycle now and waits for it. */
  cycle(): Promise<void>
  /** Moves time (simulator and service) forward, firing due throttle timers. */
  advance(ms: number): void
  /** Sets Kismet's clock apart from the service's (a sensor without RTC, NTP stepping it); 0 by default. */
  setKismetSkew(ms: number): void
  /** Kismet's clock: the service's plus the skew. */
  kismetNow(): number
  /** The simulator's ground truth as a fresh full read shows it (devices within the TTL), by key. */
  truth(): Promise<WifiDevice[]>
  /** Waits (real time, up to `timeoutMs`) until `condition` holds. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>
  /**
   * One second passes: the simulator's eventbus tick fires, and (unless `timestamp` is false:
   * a stalled or refused eventbus) the test waits until the service has received its TIMESTAMP.
   */
  second(options?: { timestamp?: boolean }): Promise<void>
  /** Waits for the service's eventbus connection to be subscribed, then moves seconds until it is `connected`. */
  eventbusConnected(): Promise<void>
}

/** Real-time wait for a condition the test cannot await directly (an eventbus frame on its way). */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** Seconds on a ManualClock shared with a simulator's eventbus, each waiting for its TIMESTAMP at the service. */
function eventbusSeconds(clock: ManualClock, sims: () => KismetSimulator[], pipelines: () => SensorPipeline[]) {
  const second = async (options: { timestamp?: boolean } = {}): Promise<void> => {
    // Only a connection that is subscribed gets the tick (pipelines and simulators in the same order).
    const all = sims()
    const expecting = pipelines().filter(
      (p, i) => options.timestamp !== false && (p.eventbus.state === 'connected' || p.eventbus.state === 'connecting') && (all[i]?.eventbusSubscribers('TIMESTAMP') ?? 0) > 0,
    )
    const before = expecting.map((p) => p.eventbusStats.frames.TIMESTAMP)
    clock.advance(1000)
    await until(() => expecting.every((p, i) => p.eventbusStats.frames.TIMESTAMP > before[i]!), 'the TIMESTAMP of this second at the service')
    // Whatever that second set off (a reconnection, a poll) gets its turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const eventbusConnected = async (): Promise<void> => {
    await until(() => sims().every((sim) => sim.eventbusSubscribers('TIMESTAMP') > 0), 'the service to subscribe to the eventbus')
    for (let i = 0; !pipelines().every((p) => p.eventbus.state === 'connected'); i++) {
      if (i === 5) throw new Error(`the eventbus is not connected after 5 s: ${pipelines().map((p) => p.eventbus.state).join(', ')}`)
      await second()
    }
  }
  return { second, eventbusConnected }
}

const HOUR = 3_600_000

export async function startPipeline(
  t: TestLike,
  options: { sim?: SimulatorOptions; env?: Record<string, string>; eventbus?: boolean; app?: Omit<AppOptions, 'env' | 'clock'> } = {},
): Promise<Pipeline> {
  const clock = new ManualClock()
  let skew = 0
  const kismetNow = () => clock.now() + skew
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, seed: 7, ...options.sim, clock: kismetNow, ...(options.eventbus && { timers: clock }) })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const { app, url } = await startApp(t, {
    ...options.app,
    clock,
    env: testEnv({
      KISMET_ENABLED: 'true',
      KISMET_API_URL: simUrl,
      KISMET_API_KEY: TEST_API_KEY,
      POLL_INTERVAL_MS: String(HOUR),
      HEARTBEAT_INTERVAL_MS: String(HOUR),
      RETRY_DELAY_MS: String(HOUR),
      KISMET_TIMEOUT_MS: '2000',
      DEVICE_TTL_S: '300',
      KISMET_EVENTBUS: options.eventbus ? 'on' : 'off',
      POLL_INTERVAL_EVENTBUS_MS: String(2 * HOUR),
      ...options.env,
    }),
  })
  const envelopes: AnyEnvelope[] = []
  app.events.subscribe((envelope) => envelopes.push(envelope))
  let taken = 0
  const pipeline = app.sensors.get('default')!
  return {
    ...eventbusSeconds(clock, () => [sim], () => [pipeline]),
    until,
    clock,
    sim,
    app,
    pipeline,
    url,
    envelopes,
    take(types = ['device:update', 'signal:update', 'alert:new']) {
      const fresh = envelopes.slice(taken)
      taken = envelopes.length
      return fresh.filter((e) => types.includes(e.type))
    },
    cycle: () => app.sensors.get('default')!.poller.runCycle(),
    advance: (ms) => clock.advance(ms),
    setKismetSkew: (ms) => (skew = ms),
    kismetNow,
    truth: () => groundTruth(simUrl, kismetNow(), Number(options.env?.['DEVICE_TTL_S'] ?? 300)),
  }
}

/** What a fresh, complete read of Kismet gives: the state the service must converge to. */
export async function groundTruth(simUrl: string, nowMs: number, ttlS: number): Promise<WifiDevice[]> {
  const client = new KismetClient({ baseUrl: simUrl, apiKey: TEST_API_KEY, timeoutMs: 5000 })
  try {
    const { devices } = await client.devicesSeenWithin(ttlS, Math.floor(nowMs / 1000))
    return byKey(devices)
  } finally {
    client.close()
  }
}

export function byKey(devices: WifiDevice[]): WifiDevice[] {
  return [...devices].sort((a, b) => a.key.localeCompare(b.key))
}

/** A compact description of device and alert envelopes for exact sequence assertions. */
export function describe(envelopes: AnyEnvelope[]): string[] {
  return envelopes.map((e) => {
    switch (e.type) {
      case 'device:update':
        return `${e.data.action} ${e.data.device.key}${e.data.changes ? ` ${Object.keys(e.data.changes).sort().join(',')}` : ''}`
      case 'signal:update':
        return `signal ${e.data.key}`
      case 'alert:new':
        return `alert ${e.data.alert.header} ${e.data.alert.id}`
      default:
        return e.type
    }
  })
}

/** Several sensors: one simulator each (own seed, so own server UUID and devices), one service reading them all. */
export interface SensorsHarness {
  clock: ManualClock
  sims: Record<string, KismetSimulator>
  app: FastifyInstance
  url: string
  envelopes: AnyEnvelope[]
  /** One poll cycle of every sensor, together. */
  cycle(): Promise<void>
  advance(ms: number): void
  truth(sensor: string): Promise<WifiDevice[]>
  apiKey(sensor: string): string
  /** As in Pipeline, over every sensor with an eventbus. */
  second(options?: { timestamp?: boolean }): Promise<void>
  eventbusConnected(): Promise<void>
}

export async function startSensors(
  t: TestLike,
  names: string[],
  options: { devices?: number; env?: Record<string, string>; sim?: (name: string) => SimulatorOptions; eventbus?: boolean } = {},
): Promise<SensorsHarness> {
  const clock = new ManualClock()
  const sims: Record<string, KismetSimulator> = {}
  const apiKey = (name: string) => `${TEST_API_KEY.slice(0, 24)}${Buffer.from(name).toString('hex').slice(0, 8).toUpperCase().padEnd(8, '0')}`
  const entries = []
  for (const [index, name] of names.entries()) {
    const sim = new KismetSimulator({
      apiKey: apiKey(name),
      seed: 11 + index,
      devices: options.devices ?? 8,
      serverName: name,
      ...options.sim?.(name),
      clock: () => clock.now(),
      ...(options.eventbus && { timers: clock }),
    })
    const url = await sim.listen()
    t.teardown(() => sim.close())
    sims[name] = sim
    entries.push({ name, url, apiKey: apiKey(name) })
  }
  const { app, url } = await startApp(t, {
    clock,
    env: testEnv({
      KISMET_ENABLED: 'true',
      KISMET_SENSORS: JSON.stringify(entries),
      POLL_INTERVAL_MS: String(HOUR),
      HEARTBEAT_INTERVAL_MS: String(HOUR),
      RETRY_DELAY_MS: String(HOUR),
      KISMET_TIMEOUT_MS: '2000',
      KISMET_EVENTBUS: options.eventbus ? 'on' : 'off',
      POLL_INTERVAL_EVENTBUS_MS: String(2 * HOUR),
      ...options.env,
    }),
  })
  const envelopes: AnyEnvelope[] = []
  app.events.subscribe((envelope) => envelopes.push(envelope))
  const ttlS = Number(options.env?.['DEVICE_TTL_S'] ?? 300)
  return {
    ...eventbusSeconds(clock, () => Object.values(sims), () => [...app.sensors.all()]),
    clock,
    sims,
    app,
    url,
    envelopes,
    cycle: async () => {
      await Promise.all(app.sensors.all().map((pipeline) => pipeline.poller.runCycle()))
    },
    advance: (ms) => clock.advance(ms),
    truth: async (sensor) => {
      const sim = sims[sensor]!
      const client = new KismetClient({ baseUrl: sim.url, apiKey: apiKey(sensor), timeoutMs: 5000 })
      try {
        return byKey((await client.devicesSeenWithin(ttlS, Math.floor(clock.now() / 1000))).devices)
      } finally {
        client.close()
      }
    },
    apiKey,
  }
}
