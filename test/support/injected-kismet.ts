// A pipeline (src/pipeline.ts) against an injected Kismet (the KismetSource port) on a
// ManualClock, for the domain tests, and the status such a Kismet answers.
import type { ManualClock } from '../../src/clock.js'
import { EnvelopeFactory } from '../../src/envelope.js'
import type { AnyEnvelope } from '../../src/events.js'
import type { KismetSystemStatus } from '../../src/kismet/wire.js'
import { createPipeline, type Pipeline } from '../../src/pipeline.js'
import type { KismetSource } from '../../src/poller.js'
import { ServiceStats } from '../../src/stats.js'
import { T0 } from './devices.js'

const HOUR = 3_600_000
const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** /system/status.json of a Kismet started an hour before T0, at the clock's time. */
export function statusAt(clock: ManualClock, deviceCount: number): KismetSystemStatus {
  return {
    'kismet.system.version': '2025.09.0-test',
    'kismet.system.git': 'test',
    'kismet.system.timestamp.sec': Math.floor(clock.now() / 1000),
    'kismet.system.timestamp.usec': 0,
    'kismet.system.timestamp.start_sec': Math.floor(T0 / 1000) - 3600,
    'kismet.system.devices.count': deviceCount,
    'kismet.system.memory.rss': 0,
    'kismet.system.battery.percentage': 0,
    'kismet.system.battery.ac': 1,
    'kismet.server.uuid': '8574AA6C-E8F9-11F1-8C99-4B49534D4554',
  }
}

/** One sensor's pipeline on `kismet`, its poll timers an hour out (the test runs cycles), every envelope kept. */
export function injectedPipeline(kismet: KismetSource & { close(): void }, clock: ManualClock): { pipeline: Pipeline; published: AnyEnvelope[]; stats: ServiceStats } {
  const stats = new ServiceStats()
  const published: AnyEnvelope[] = []
  const pipeline = createPipeline({
    name: 'default',
    settings: {
      kismet: { baseUrl: 'http://kismet.invalid:2501', timeoutMs: 1000 },
      poll: { enabled: true, pollIntervalMs: HOUR, heartbeatIntervalMs: HOUR, retryDelayMs: HOUR, maxRetries: 5, deviceTtlS: 300, gpsIntervalMs: 0 },
      throttle: {},
    },
    clock,
    log: silent,
    serviceStats: stats,
    factory: new EnvelopeFactory({ clock, stats }),
    publish: (envelope) => published.push(envelope),
    clients: () => 0,
    kismet,
  })
  return { pipeline, published, stats }
}
