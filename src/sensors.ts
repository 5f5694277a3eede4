// The sensors this process reads: one pipeline each, by configured name, in configuration
// order. What the Socket.IO layer, REST and metrics ask about sensors they ask here.
import type { EventbusCounters, SensorStatus } from './api-schemas.js'
import type { Alert, ConnectionState, SystemStatusData, WifiDevice } from './events.js'
import { KISMET_ERROR_KINDS, type KismetErrorKind } from './kismet/errors.js'
import type { Pipeline } from './pipeline.js'
import type { SensorDirectory } from './realtime/realtime.js'

/** How ready a state is; the service as a whole is as ready as its least ready sensor. */
const READINESS: Record<ConnectionState, number> = { auth_failed: 0, backoff: 1, connecting: 2, connected: 3, disabled: 4 }

export class Sensors implements SensorDirectory {
  readonly #pipelines: readonly Pipeline[]
  readonly #byName: ReadonlyMap<string, Pipeline>

  constructor(pipelines: readonly Pipeline[]) {
    this.#pipelines = pipelines
    this.#byName = new Map(pipelines.map((pipeline) => [pipeline.name, pipeline]))
  }

  all(): readonly Pipeline[] {
    return this.#pipelines
  }

  names(): string[] {
    return this.#pipelines.map((pipeline) => pipeline.name)
  }

  get(name: string): Pipeline | undefined {
    return this.#byName.get(name)
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }

  stateOf(name: string): ConnectionState | undefined {
    return this.#byName.get(name)?.poller.state
  }

  /** A sensor's devices as clients were last told them (Pipeline.devicesAsSaid): what snapshots send. */
  devicesOf(name: string): Iterable<WifiDevice> {
    return this.#byName.get(name)?.devicesAsSaid() ?? []
  }

  /** One device as clients were last told it (undefined: not, or no longer, in the table). */
  deviceOf(name: string, key: string): WifiDevice | undefined {
    return this.#byName.get(name)?.deviceAsSaid(key)
  }

  systemStatusOf(name: string): SystemStatusData | undefined {
    return this.#byName.get(name)?.poller.systemStatus()
  }

  alertsOf(name: string): readonly Alert[] {
    return this.#byName.get(name)?.alertBacklog.list() ?? []
  }

  /** The least ready sensor's state ('connected' only when every sensor is; 'disabled' when all are). */
  get state(): ConnectionState {
    let worst: ConnectionState = 'disabled'
    for (const pipeline of this.#pipelines) if (READINESS[pipeline.poller.state] < READINESS[worst]) worst = pipeline.poller.state
    return worst
  }

  /** Sensors connected, or disabled (with Kismet disabled nothing is missing). */
  get ready(): number {
    return this.#pipelines.filter((pipeline) => pipeline.poller.state === 'connected' || pipeline.poller.state === 'disabled').length
  }

  /** Devices in every sensor's table. */
  get deviceCount(): number {
    let count = 0
    for (const pipeline of this.#pipelines) count += pipeline.tracker.size
    return count
  }

  /** Each sensor as /status shows it. */
  statuses(): SensorStatus[] {
    return this.#pipelines.map(sensorStatus)
  }

  /** A sensor's table as the tracker holds it now (exports, lookups). */
  tableOf(name: string): Iterable<WifiDevice> {
    return this.#byName.get(name)?.tracker.values() ?? []
  }
}

/** Each sensor's device table by name: a process's own pipelines (Sensors), or a gateway's tables kept from the stream (src/scale/gateway.ts). */
export interface DeviceTables {
  names(): string[]
  tableOf(name: string): Iterable<WifiDevice>
}

/** Every sensor's view of one MAC (a MAC can be several devices of one sensor, one per phy). */
export function devicesByMac(tables: DeviceTables, mac: string): Array<{ sensor: string; device: WifiDevice }> {
  const wanted = mac.toUpperCase()
  const views: Array<{ sensor: string; device: WifiDevice }> = []
  for (const sensor of tables.names()) {
    for (const device of tables.tableOf(sensor)) if (device.mac === wanted) views.push({ sensor, device })
  }
  return views
}

/** One sensor as /status shows it. */
export function sensorStatus(pipeline: Pipeline): SensorStatus {
  const link = pipeline.poller.link
  return {
    name: pipeline.name,
    url: pipeline.url,
    connected: link.connected,
    state: link.state,
    retries: link.retries,
    deviceCount: pipeline.tracker.size,
    lastPoll: link.lastPoll ?? null,
    ...(link.version !== undefined && { version: link.version }),
    ...(link.serverUuid !== undefined && { serverUuid: link.serverUuid }),
    ...(link.startedAt !== undefined && { startedAt: link.startedAt }),
    eventbus: { state: pipeline.eventbus.state, since: pipeline.eventbus.since, pollIntervalMs: pipeline.poller.pollIntervalMs },
  }
}

/** One sensor's eventbus counters as /stats shows them. */
export function eventbusCounters(pipeline: Pipeline): EventbusCounters {
  const stats = pipeline.eventbusStats
  return {
    state: pipeline.eventbus.state,
    frames: { ...stats.frames },
    malformedFrames: stats.malformedFrames,
    bytesReceived: stats.bytesReceived,
    connects: stats.connects,
    reconnects: stats.reconnects,
    fallbacks: stats.fallbacks,
    stalls: stats.stalls,
    refusals: stats.refusals,
  }
}

/** Every sensor taken together: the least ready state, the most retries, the devices of all, the stalest poll. */
export function overallStatus(sensors: Pick<Sensors, 'state' | 'deviceCount'>, each: readonly SensorStatus[]) {
  const versions = new Set(each.flatMap((s) => (s.version === undefined ? [] : [s.version])))
  const polls = each.map((s) => s.lastPoll)
  return {
    connected: each.length > 0 && each.every((s) => s.connected),
    state: sensors.state,
    retries: each.reduce((most, s) => Math.max(most, s.retries), 0),
    deviceCount: sensors.deviceCount,
    lastPoll: polls.length === 0 ? null : polls.reduce<number | null>((stalest, p) => (p === null || stalest === null ? null : Math.min(stalest, p)), Number.POSITIVE_INFINITY),
    ...(versions.size === 1 && { version: [...versions][0]! }),
  }
}

export interface KismetCounters {
  state: ConnectionState
  polls: number
  errors: number
  errorsByKind: Record<KismetErrorKind, number>
  requests: number
  lastPollMs: number
  bytesReceived: number
  devicesTracked: number
  malformedRecords: number
}

/** One sensor's counters as /stats shows them. */
export function sensorCounters(pipeline: Pipeline): KismetCounters {
  const { stats } = pipeline
  return {
    state: pipeline.poller.state,
    polls: stats.polls,
    errors: stats.totalKismetErrors,
    errorsByKind: { ...stats.kismetErrors },
    requests: stats.kismetRequests,
    lastPollMs: stats.lastPollMs,
    bytesReceived: stats.bytesReceived,
    devicesTracked: pipeline.tracker.size,
    malformedRecords: stats.malformedRecords,
  }
}

/** Every sensor's counters added up (lastPollMs: the longest; state: the least ready). */
export function totalCounters(sensors: Sensors, each: readonly KismetCounters[]): KismetCounters {
  const errorsByKind = Object.fromEntries(KISMET_ERROR_KINDS.map((kind) => [kind, 0])) as Record<KismetErrorKind, number>
  const total: KismetCounters = { state: sensors.state, polls: 0, errors: 0, errorsByKind, requests: 0, lastPollMs: 0, bytesReceived: 0, devicesTracked: 0, malformedRecords: 0 }
  for (const c of each) {
    total.polls += c.polls
    total.errors += c.errors
    for (const kind of KISMET_ERROR_KINDS) errorsByKind[kind] += c.errorsByKind[kind]
    total.requests += c.requests
    total.lastPollMs = Math.max(total.lastPollMs, c.lastPollMs)
    total.bytesReceived += c.bytesReceived
    total.devicesTracked += c.devicesTracked
    total.malformedRecords += c.malformedRecords
  }
  return total
}
