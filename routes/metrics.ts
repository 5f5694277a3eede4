// Prometheus metrics at /metrics, read from the counters at scrape time. Each app has its own
// registry (tests build many apps in one process). The process and Node.js metrics keep
// their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...) so stock
// dashboards match; every counter /stats has is here too, per sensor where /stats has it per
// sensor (label `sensor`).
import type { FastifyPluginAsync } from 'fastify'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { CONNECTION_STATES, TAK_OUTPUT_STATES, TOPICS } from '../src/events.js'
import { KISMET_ERROR_KINDS } from '../src/kismet/errors.js'
import { EVENTBUS_STATES } from '../src/kismet/eventbus.js'
import { EVENTBUS_TOPICS } from '../src/kismet/wire.js'
import type { Pipeline } from '../src/pipeline.js'
import { connectedClients, roomSizes } from '../src/realtime/census.js'
import { REFUSAL_REASONS } from '../src/realtime/refusals.js'
import { TAGS } from '../plugins/external/swagger.js'

type Sample = [labels: Record<string, string>, value: number]

/** A counter whose values are kept elsewhere: set to the current totals at each scrape. */
function mirroredCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Sample[]): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.inc(labels, value)
    },
  })
}

function mirroredGauge(registry: Registry, name: string, help: string, labelNames: string[], read: () => Sample[]): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.set(labels, value)
    },
  })
}

const routes: FastifyPluginAsync = async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const { stats, sensors } = app
  const perSensor = (read: (pipeline: Pipeline) => number) => (): Sample[] => sensors.all().map((pipeline) => [{ sensor: pipeline.name }, read(pipeline)])

  mirroredGauge(registry, 'kismet_ws_clients', 'Socket.IO clients connected', [], () => [[{}, connectedClients(app.io)]])
  mirroredGauge(registry, 'kismet_ws_subscribers', 'Clients subscribed, by topic', ['topic'], () => {
    const sizes = roomSizes(app.io)
    return TOPICS.map((topic) => [{ topic }, sizes[topic]])
  })
  mirroredGauge(registry, 'kismet_ws_devices_tracked', 'Devices in the table, by sensor', ['sensor'], perSensor((p) => p.tracker.size))
  mirroredGauge(registry, 'kismet_ws_kismet_state', 'Connection state towards Kismet, by sensor (1 for the current state)', ['sensor', 'state'], () =>
    sensors.all().flatMap((p) => CONNECTION_STATES.map((state): Sample => [{ sensor: p.name, state }, p.poller.state === state ? 1 : 0])),
  )
  mirroredGauge(registry, 'kismet_ws_poll_duration_seconds', 'Duration of the last poll cycle, by sensor', ['sensor'], perSensor((p) => p.stats.lastPollMs / 1000))
  mirroredCounter(registry, 'kismet_ws_polls_total', 'Poll cycles run, by sensor', ['sensor'], perSensor((p) => p.stats.polls))
  mirroredCounter(registry, 'kismet_ws_kismet_requests_total', 'Requests answered by Kismet, by sensor', ['sensor'], perSensor((p) => p.stats.kismetRequests))
  mirroredCounter(registry, 'kismet_ws_kismet_errors_total', 'Failed Kismet requests, by sensor and kind', ['sensor', 'kind'], () =>
    sensors.all().flatMap((p) => KISMET_ERROR_KINDS.map((kind): Sample => [{ sensor: p.name, kind }, p.stats.kismetErrors[kind]])),
  )
  mirroredCounter(registry, 'kismet_ws_kismet_bytes_received_total', 'Response bytes received from Kismet, by sensor', ['sensor'], perSensor((p) => p.stats.bytesReceived))
  mirroredCounter(registry, 'kismet_ws_malformed_records_total', 'Kismet records skipped as malformed, by sensor', ['sensor'], perSensor((p) => p.stats.malformedRecords))
  mirroredGauge(registry, 'kismet_ws_eventbus_state', "Kismet's eventbus connection, by sensor (1 for the current state)", ['sensor', 'state'], () =>
    sensors.all().flatMap((p) => EVENTBUS_STATES.map((state): Sample => [{ sensor: p.name, state }, p.eventbus.state === state ? 1 : 0])),
  )
  mirroredCounter(registry, 'kismet_ws_eventbus_frames_total', 'Eventbus frames received, by sensor and topic', ['sensor', 'topic'], () =>
    sensors.all().flatMap((p) => EVENTBUS_TOPICS.map((topic): Sample => [{ sensor: p.name, topic }, p.eventbusStats.frames[topic]])),
  )
  mirroredCounter(registry, 'kismet_ws_eventbus_malformed_frames_total', 'Eventbus frames ignored as malformed, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.malformedFrames))
  mirroredCounter(registry, 'kismet_ws_eventbus_bytes_received_total', 'Eventbus bytes received, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.bytesReceived))
  mirroredCounter(registry, 'kismet_ws_eventbus_reconnects_total', 'Eventbus connection attempts after the first, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.reconnects))
  mirroredCounter(registry, 'kismet_ws_eventbus_fallbacks_total', 'Times a sensor went back to polling alone (eventbus refused, lost or stalled)', ['sensor'], perSensor((p) => p.eventbusStats.fallbacks))
  mirroredCounter(registry, 'kismet_ws_eventbus_stalls_total', 'Eventbus connections given up for want of TIMESTAMP, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.stalls))
  mirroredCounter(registry, 'kismet_ws_eventbus_connects_total', 'Eventbus connections opened, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.connects))
  mirroredCounter(registry, 'kismet_ws_eventbus_refusals_total', 'Eventbus upgrades Kismet (or a proxy) refused with 401 or 404, by sensor', ['sensor'], perSensor((p) => p.eventbusStats.refusals))
  mirroredGauge(registry, 'kismet_ws_poll_interval_seconds', 'The poll interval now, by sensor (POLL_INTERVAL_EVENTBUS_MS while the eventbus is connected)', ['sensor'], perSensor((p) => p.poller.pollIntervalMs / 1000))
  mirroredCounter(registry, 'kismet_ws_events_total', 'Events emitted, by type', ['type'], () => Object.entries(stats.eventsByType).map(([type, n]) => [{ type }, n]))
  mirroredCounter(registry, 'kismet_ws_events_coalesced_total', 'Events absorbed by throttling', [], () => [[{}, stats.coalesced]])
  mirroredCounter(registry, 'kismet_ws_client_errors_total', 'Client messages refused, by code', ['code'], () => Object.entries(stats.clientErrors).map(([code, n]) => [{ code }, n]))
  mirroredCounter(registry, 'kismet_ws_clients_dropped_total', 'Sockets disconnected for abuse or for not reading', [], () => [[{}, stats.socketsDropped]])
  mirroredCounter(registry, 'kismet_ws_connections_refused_total', 'Socket.IO connections refused, by reason (origin, token, address_cap)', ['reason'], () =>
    REFUSAL_REASONS.map((reason) => [{ reason }, stats.connectionsRefused[reason]]),
  )
  mirroredGauge(registry, 'kismet_ws_filters', 'Distinct device filters in use by subscriptions', [], () => [[{}, app.realtime.broadcaster.filters.size]])
  mirroredCounter(registry, 'kismet_ws_filter_evaluations_total', 'Judgements of a device by a subscription filter (one per distinct filter per device change)', [], () => [[{}, stats.filterEvaluations]])
  mirroredGauge(registry, 'kismet_ws_watch_entries', 'Entries in the watch list', [], () => [[{}, app.watchlist.store.entries.length]])
  mirroredGauge(registry, 'kismet_ws_watch_tracked', 'Watched devices whose found/lost state is kept', [], () => [[{}, app.watchlist.watcher.counters.tracked]])
  mirroredCounter(registry, 'kismet_ws_watch_events_total', 'watch:found and watch:lost events, by type', ['type'], () => [
    [{ type: 'found' }, app.watchlist.watcher.counters.found],
    [{ type: 'lost' }, app.watchlist.watcher.counters.lost],
  ])
  mirroredCounter(registry, 'kismet_ws_watch_webhook_total', 'Watch-list webhook deliveries, by outcome', ['outcome'], () => {
    const counters = app.watchlist.webhook?.counters
    return counters ? [[{ outcome: 'delivered' }, counters.delivered], [{ outcome: 'failure' }, counters.failures], [{ outcome: 'dropped' }, counters.dropped]] : []
  })
  mirroredGauge(registry, 'kismet_ws_watch_webhook_queued', 'Watch-list webhook deliveries waiting', [], () => [[{}, app.watchlist.webhook?.counters.queued ?? 0]])
  const takOutputs = () => app.tak.counters().outputs
  mirroredCounter(registry, 'kismet_ws_tak_events_total', 'CoT events produced for TAK, by kind (device, sensor, delete)', ['kind'], () => Object.entries(app.tak.counters().events).map(([kind, n]) => [{ kind }, n]))
  mirroredGauge(registry, 'kismet_ws_tak_markers', 'TAK markers live now (sent, not stale), by kind', ['kind'], () => {
    const { markers } = app.tak.status()
    return [[{ kind: 'device' }, markers.devices], [{ kind: 'sensor' }, markers.sensors]]
  })
  mirroredGauge(registry, 'kismet_ws_tak_output_state', 'State of each TAK output (1 for the current state)', ['output', 'state'], () =>
    takOutputs().flatMap((o) => TAK_OUTPUT_STATES.map((state): Sample => [{ output: o.output, state }, o.state === state ? 1 : 0])),
  )
  mirroredGauge(registry, 'kismet_ws_tak_output_queued', 'CoT events waiting in a TAK output (streams: latest per uid, bounded)', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.queued]))
  mirroredCounter(registry, 'kismet_ws_tak_output_sent_total', 'CoT events sent, by TAK output', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.sent]))
  mirroredCounter(registry, 'kismet_ws_tak_output_dropped_total', 'CoT events a TAK output never sent (superseded, queue full, network refused)', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.dropped]))
  mirroredCounter(registry, 'kismet_ws_tak_output_bytes_sent_total', 'Bytes sent, by TAK output', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.bytesSent]))
  mirroredCounter(registry, 'kismet_ws_tak_output_bytes_received_total', 'Bytes a TAK server sent back (read and discarded), by TAK output', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.bytesReceived]))
  mirroredCounter(registry, 'kismet_ws_tak_output_connects_total', 'Connections made (UDP: sockets opened), by TAK output', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.connects]))

  const scale = app.scale
  if (scale) {
    // Scale-out: Redis as this process sees it, and the cluster as Redis shows it.
    const view = () => scale.view([])
    mirroredGauge(registry, 'kismet_ws_redis_up', 'Whether this process is connected to Redis (1) or not (0)', [], () => [[{}, scale.health.state === 'ready' ? 1 : 0]])
    mirroredCounter(registry, 'kismet_ws_redis_disconnects_total', 'Times this process lost its Redis connection', [], () => [[{}, scale.health.disconnects]])
    mirroredCounter(registry, 'kismet_ws_redis_failures_total', 'Redis commands of this process that failed', [], () => [[{}, scale.health.failures]])
    mirroredGauge(registry, 'kismet_ws_cluster_gateways', 'Live gateways (their records in Redis)', [], () => [[{}, view().gateways]])
    mirroredGauge(registry, 'kismet_ws_cluster_clients', 'Socket.IO clients of every live gateway', [], () => [[{}, view().clients]])
    mirroredGauge(registry, 'kismet_ws_cluster_sensor_led', 'Whether a producer leads the sensor (1) or none does now (0)', ['sensor'], () => view().sensors.map((s) => [{ sensor: s.name }, s.leader === null ? 0 : 1]))
    mirroredGauge(registry, 'kismet_ws_cluster_sensor_devices', "Devices of each sensor, as its leader last said", ['sensor'], () => view().sensors.map((s) => [{ sensor: s.name }, s.deviceCount]))
    mirroredGauge(registry, 'kismet_ws_snapshot_failures', 'Snapshots a gateway could not read from Redis', [], () => [[{}, scale.gateway?.snapshotFailures ?? 0]])
    mirroredCounter(registry, 'kismet_ws_gateway_resyncs_total', "Times a gateway read a sensor's state again for its subscribers, its leader having sent the whole table again", [], () => [[{}, scale.gateway?.resyncs ?? 0]])
    mirroredCounter(registry, 'kismet_ws_gateway_stream_errors_total', 'Envelopes from the stream a gateway could not fold or judge for its filters (delivered to the plain rooms all the same)', [], () => [[{}, scale.gateway?.streamErrors ?? 0]])
  }

  const schema = {
    summary: 'Prometheus metrics (text exposition format)',
    tags: [TAGS.monitoring],
    response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
  }
  app.get('/metrics', { schema }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}

export default routes
