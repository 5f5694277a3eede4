// One sensor's pipeline, assembled in one place: Kismet client → poller → tracker → alert
// de-duplication → throttle → `publish`, and beside the poller the sensor's eventbus
// connection (src/kismet/eventbus.ts) whose pushes enter the same tracker and alert intake
// (src/push.ts). It knows nothing of Fastify or Socket.IO: what it
// produces leaves through the publish function it is given (the event channel), every
// envelope stamped with the sensor's name, and the only thing it asks of the world around it
// is how many clients are connected (for system:status). The Fastify plugin, the test
// support and the benchmarks all build it here; several sensors are several pipelines.
import { AlertBacklog, AlertDeduper, AlertIntake } from './alerts.js'
import type { Clock } from './clock.js'
import { urlForLogs } from './config.js'
import type { EnvelopeFactory } from './envelope.js'
import type { AnyEnvelope, WifiDevice } from './events.js'
import { KismetClient, type KismetClientOptions } from './kismet/client.js'
import { EventbusStats, KismetEventbus, type EventbusMode } from './kismet/eventbus.js'
import { KismetTransport } from './kismet/transport.js'
import { namedInLogs, Poller, type KismetSource, type PollerLog, type PollerSettings } from './poller.js'
import { PushIntake } from './push.js'
import { SensorStats, type ServiceStats } from './stats.js'
import { EventThrottle, type ThrottleWindows } from './throttle.js'
import { DeviceTracker } from './tracker.js'

export interface PipelineSettings {
  /** How to reach Kismet: base URL, credential, timeout (and a response callback, if wanted). */
  kismet: KismetClientOptions
  poll: Omit<PollerSettings, 'kismetUrl' | 'sensor'>
  throttle: Partial<ThrottleWindows>
  /** Kismet's eventbus (default: not used). */
  eventbus?: EventbusSettings
}

export interface EventbusSettings {
  /** KISMET_EVENTBUS */
  mode: EventbusMode
  /** POLL_INTERVAL_EVENTBUS_MS: the poll interval while the eventbus is healthy. */
  pollIntervalMs: number
}

export interface PipelineOptions {
  /** The sensor's configured name: stamped on every envelope, shown in every log line. */
  name: string
  settings: PipelineSettings
  clock: Clock
  log: PollerLog
  /** The process's counters (coalesced events); the sensor's own are the pipeline's `stats`. */
  serviceStats: ServiceStats
  factory: EnvelopeFactory
  /** Where the envelopes go (the event channel). Should not throw. */
  publish: (envelope: AnyEnvelope) => void
  /** Clients connected now, for system:status. */
  clients: () => number
  /** Kismet as the poller sees it; by default a KismetClient built from `settings.kismet`. */
  kismet?: KismetSource & { close(): void }
}

export interface Pipeline {
  readonly name: string
  /** Where Kismet is (credentials removed). */
  readonly url: string
  readonly stats: SensorStats
  readonly kismet: KismetSource & { close(): void }
  readonly poller: Poller
  readonly tracker: DeviceTracker
  readonly alerts: AlertDeduper
  /** The alerts Kismet still holds (alert:snapshot). */
  readonly alertBacklog: AlertBacklog
  /** The sensor's eventbus connection (state `disabled` when not used). */
  readonly eventbus: KismetEventbus
  readonly eventbusStats: EventbusStats
  readonly throttle: EventThrottle
  /**
   * A device as clients were last told it (the throttle may hold a newer state in its
   * window): what a snapshot sends and a filter judges, so that what follows applies to it.
   */
  deviceAsSaid(key: string): WifiDevice | undefined
  /** Every device as clients were last told it, in table order. */
  devicesAsSaid(): Iterable<WifiDevice>
  /** Starts polling and the eventbus (or, with Kismet disabled, publishes that state). */
  start(): void
  /** Delivers what the throttle holds now: clients keep the final state. */
  flush(): void
  /** Stops polling, aborts Kismet requests in flight, and drops timers. Idempotent. */
  stop(): Promise<void>
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { name, settings, clock } = options
  const stats = new SensorStats()
  const onResponse = settings.kismet.onResponse
  const client = options.kismet
    ? undefined
    : new KismetClient({
        ...settings.kismet,
        onResponse: (info) => {
          stats.kismetRequests += 1
          stats.bytesReceived += info.bytes
          onResponse?.(info)
        },
      })
  const kismet = options.kismet ?? client!
  const url = urlForLogs(settings.kismet.baseUrl)
  const tracker = new DeviceTracker({ ttlMs: settings.poll.deviceTtlS * 1000 })
  const alerts = new AlertDeduper()
  const alertBacklog = new AlertBacklog()
  const throttle = new EventThrottle({
    clock,
    factory: options.factory.forSensor(name),
    publish: options.publish,
    stats: options.serviceStats,
    windows: settings.throttle,
  })
  const alertIntake = new AlertIntake({ deduper: alerts, backlog: alertBacklog, emit: (alert) => throttle.alert(alert) })
  const poller = new Poller({
    kismet,
    tracker,
    throttle,
    alerts: alertIntake,
    stats,
    clock,
    log: options.log,
    settings: { ...settings.poll, kismetUrl: url, sensor: name },
    clients: options.clients,
  })
  const eventbusSettings = settings.eventbus ?? { mode: 'off', pollIntervalMs: settings.poll.pollIntervalMs }
  const push = new PushIntake({
    poller,
    alerts: alertIntake,
    stats,
    log: options.log,
    pollIntervalMs: settings.poll.pollIntervalMs,
    eventbusPollIntervalMs: eventbusSettings.pollIntervalMs,
  })
  const eventbusStats = new EventbusStats()
  const eventbus = new KismetEventbus({
    // The REST client's own transport: one credential, one redaction.
    transport: client?.transport ?? new KismetTransport(settings.kismet),
    mode: settings.poll.enabled ? eventbusSettings.mode : 'off',
    clock,
    log: options.log,
    named: namedInLogs(name),
    stats: eventbusStats,
    onFrame: (frame) => push.frame(frame),
    onHealth: (healthy) => push.health(healthy),
  })
  let stopping: Promise<void> | undefined

  return {
    name,
    url,
    stats,
    kismet,
    poller,
    tracker,
    alerts,
    alertBacklog,
    eventbus,
    eventbusStats,
    throttle,
    deviceAsSaid: (key) => throttle.known(key) ?? tracker.get(key),
    *devicesAsSaid() {
      for (const device of tracker.values()) yield throttle.known(device.key) ?? device
    },
    start: () => {
      poller.start()
      eventbus.start()
    },
    flush: () => throttle.flush(),
    stop() {
      stopping ??= (async () => {
        // A cycle waiting on a slow Kismet must not hold the shutdown (KISMET_TIMEOUT_MS can
        // exceed the time allowed): stop the loop, then abort its requests, then wait for it.
        eventbus.stop()
        const stopped = poller.stop()
        kismet.close()
        await stopped
        throttle.close()
      })()
      return stopping
    },
  }
}

/**
 * The shutdown order, written once: what the throttles hold goes out, then clients are told
 * and let go (`announce`), then polling stops and Kismet requests in flight are aborted.
 */
export async function shutDown(pipelines: readonly Pipeline[], announce: () => Promise<void>): Promise<void> {
  for (const pipeline of pipelines) pipeline.flush()
  await announce()
  await Promise.all(pipelines.map((pipeline) => pipeline.stop()))
}
