// ROLE=producer: competes for each configured sensor's leader lock (leader.ts) and, for each
// sensor it leads, runs the sensor's pipeline, seeded from Redis (the table as clients were
// told it, the alert de-duplication state, the alerts Kismet holds), so the full resync it
// starts with says `new` only of devices clients never heard of, and no alert twice. Its
// envelopes go through the state writer (Redis first) to a Broadcaster on a Socket.IO server
// that never listens: the Broadcaster's room routing, unchanged, and the streams adapter
// carries each packet to every gateway (and keeps it for connection state recovery).
//
// Envelope ids: `<this producer's run id>-<sequence>`, the sequence per sensor continuing
// across takeovers (at least the last one in Redis, and at least now in microseconds, which
// a predecessor cannot have reached unless it made more than 1,000 envelopes a millisecond).
import type { Clock } from '../clock.js'
import { EnvelopeFactory, EventChannel } from '../envelope.js'
import type { Alert } from '../events.js'
import { createPipeline, type Pipeline, type PipelineOptions } from '../pipeline.js'
import { Broadcaster } from '../realtime/broadcaster.js'
import { DEFAULT_RECOVERY_BUFFER_PACKETS } from '../realtime/engine.js'
import { DEFAULT_RECOVERY_WINDOW_MS } from '../realtime/realtime.js'
import type { RealtimeServer } from '../realtime/types.js'
import { sensorCounters, sensorStatus } from '../sensors.js'
import type { ServiceStats } from '../stats.js'
import { readGatewayRecords, writeSensorRecord } from './cluster-view.js'
import { sensorKeys } from './keys.js'
import { Leadership, type Lease } from './leader.js'
import type { RedisClient, RedisHealth } from './redis.js'
import { FoldedTable, readSensorState } from './shared-state.js'
import { StateWriter } from './state-writer.js'

export interface ProducerOptions {
  runId: string
  /** The configured sensors' names (this producer may lead any of them). */
  sensors: readonly string[]
  /** One sensor's pipeline options, but for what the producer supplies. */
  pipelineOptions: (name: string) => Omit<PipelineOptions, 'factory' | 'publish' | 'clients'>
  io: RealtimeServer
  /** The service's own commands (no offline queue). */
  redis: RedisClient
  health: RedisHealth
  clock: Clock
  stats: ServiceStats
  lockTtlMs: number
  refreshMs: number
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }
}

interface Led {
  pipeline: Pipeline
  writer: StateWriter
}

export class Producer {
  readonly broadcaster: Broadcaster
  readonly #o: ProducerOptions
  readonly #channel: EventChannel
  readonly #leaderships: Map<string, Leadership>
  readonly #led = new Map<string, Led>()
  #clusterClients = 0
  #timer: NodeJS.Timeout | undefined
  #refreshFailing = false

  constructor(options: ProducerOptions) {
    this.#o = options
    this.#channel = new EventChannel((error) => options.log.warn({ err: error }, 'An event listener failed'))
    const led = (sensor: string) => this.#led.get(sensor)?.pipeline
    this.broadcaster = new Broadcaster({
      io: options.io,
      channel: this.#channel,
      factory: new EnvelopeFactory({ runId: options.runId, clock: options.clock }),
      devices: (sensor) => led(sensor)?.devicesAsSaid() ?? [],
      systemStatus: (sensor) => led(sensor)?.poller.systemStatus(),
      device: (sensor, key) => led(sensor)?.deviceAsSaid(key),
      sensorNames: () => [...options.sensors],
      alerts: (sensor) => led(sensor)?.alertBacklog.list() ?? [],
      onFilterEvaluations: (count) => (options.stats.filterEvaluations += count),
      clock: options.clock,
      recoveryWindowMs: DEFAULT_RECOVERY_WINDOW_MS,
      recoveryBufferPackets: DEFAULT_RECOVERY_BUFFER_PACKETS,
    })
    this.#leaderships = new Map(
      options.sensors.map((sensor) => [
        sensor,
        new Leadership({
          redis: options.redis,
          resource: sensorKeys(sensor).lock,
          ttlMs: options.lockTtlMs,
          retryMs: Math.max(50, Math.floor(options.lockTtlMs / 5)),
          lead: (lease) => this.#lead(sensor, lease),
          log: options.log,
          sensor,
        }),
      ]),
    )
  }

  /** The sensors this producer leads now. */
  leading(): string[] {
    return [...this.#led.keys()]
  }

  pipelines(): Pipeline[] {
    return [...this.#led.values()].map((led) => led.pipeline)
  }

  start(): void {
    for (const leadership of this.#leaderships.values()) leadership.start()
    const tick = () => {
      void this.#refresh().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#o.refreshMs)
      })
    }
    this.#timer = setTimeout(tick, 0)
  }

  async #lead(sensor: string, lease: Lease): Promise<void> {
    const { clock, stats, redis, health, log } = this.#o
    const state = await readSensorState(redis, sensor)
    const factory = new EnvelopeFactory({ runId: this.#o.runId, clock, stats, sequence: Math.max(state.lastSeq, Math.floor(clock.now() * 1000)) })
    const table = new FoldedTable(state)
    let pipeline: Pipeline | undefined
    const writer = new StateWriter({
      redis,
      health,
      sensor,
      table,
      // The pipeline's, made just below (the writer reads it only when it writes).
      backlog: { get version() { return pipeline?.alertBacklog.version ?? -1 }, list: () => pipeline?.alertBacklog.list() ?? [] },
      maker: factory.forSensor(sensor),
      forward: (envelope) => this.#channel.publish(envelope),
      ...(!state.found && { quietUntil: () => pipeline?.poller.link.lastPoll !== undefined }),
      log,
    })
    pipeline = createPipeline({ ...this.#o.pipelineOptions(sensor), factory, publish: (envelope) => writer.push(envelope), clients: () => this.#clusterClients })
    // What clients were told, as the tracker's (and so the throttle's) starting point: the
    // resync that starts the pipeline compares Kismet against it. The events are not sent.
    pipeline.tracker.ingest(state.devices)
    // The de-duplicator reads only alert ids.
    for (const id of state.alertsSeen) pipeline.alerts.accept({ id } as Alert)
    for (const alert of state.backlog) {
      pipeline.alertBacklog.keep(alert)
      pipeline.alerts.accept(alert)
    }
    this.#led.set(sensor, { pipeline, writer })
    log.info({ sensor, devices: state.devices.length, alertsSeen: state.alertsSeen.length, found: state.found }, 'Took the sensor over from the state in Redis')
    pipeline.start()
    void this.#refresh()
    const why = await lease.ended
    this.#led.delete(sensor)
    if (why === 'stopped') pipeline.flush()
    await pipeline.stop()
    // A lost lease may already be someone else's: nothing more is written for it.
    await writer.close(why === 'stopped' ? 2000 : 0)
    if (why === 'stopped') await redis.del(sensorKeys(sensor).status).catch(() => {})
  }

  /** Writes the led sensors' records, and reads the gateways' client counts. */
  async #refresh(): Promise<void> {
    const { redis, health, refreshMs } = this.#o
    // Not connected (yet, or any more): RedisHealth says so; nothing to try until it is back.
    if (this.#o.health.state !== 'ready') return
    try {
      const gateways = await readGatewayRecords(redis)
      let clients = 0
      for (const record of gateways.values()) clients += record.clients
      this.#clusterClients = clients
      for (const { writer } of this.#led.values()) writer.check()
      await Promise.all(
        [...this.#led].map(([sensor, { pipeline, writer }]) =>
          writeSensorRecord(
            redis,
            sensor,
            { leader: this.#o.runId, status: sensorStatus(pipeline), counters: sensorCounters(pipeline), writer: { held: writer.held, dropped: writer.dropped, writes: writer.writes, resyncSeq: writer.resyncSeq }, at: Date.now() },
            refreshMs * 3,
          ),
        ),
      )
      if (this.#refreshFailing) this.#o.log.info({}, 'The cluster records are written again')
      this.#refreshFailing = false
    } catch (error) {
      health.failed(error)
      if (!this.#refreshFailing) this.#o.log.warn({ err: error }, 'Could not write the cluster records (Redis unavailable?)')
      this.#refreshFailing = true
    }
  }

  /** Gives every lock up (after flushing what the pipelines hold), then stops routing. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    await Promise.all([...this.#leaderships.values()].map((leadership) => leadership.stop()))
    this.broadcaster.close()
  }
}
