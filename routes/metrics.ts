// Prometheus metrics at /metrics, read from the counters at scrape time. Each app has its own
// registry (tests build many apps in one process). The process and Node.js metrics keep
// their standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...) so stock
// dashboards match; every counter /stats has is here too, per sensor where /stats has it per
// sensor (label `sensor`).
import type { FastifyPluginAsync } from 'fastify'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { CONNECTION_STATES, TAK_OUTPUT_STATES, TOPICS } from '../src/events.js'
import { KISMET_ERROR_KINDS } from '../src/kismet/errors.js'
import type { Pipeline } from '../src/pipeline.js'
import { connectedClients, roomSizes } from '../src/realtime/census.js'

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
  mirroredCounter(registry, 'kismet_ws_events_total', 'Events emitted, by type', ['type'], () => Object.entries(stats.eventsByType).map(([type, n]) => [{ type }, n]))
  mirroredCounter(registry, 'kismet_ws_events_coalesced_total', 'Events absorbed by throttling', [], () => [[{}, stats.coalesced]])
  mirroredCounter(registry, 'kismet_ws_client_errors_total', 'Client messages refused, by code', ['code'], () => Object.entries(stats.clientErrors).map(([code, n]) => [{ code }, n]))
  mirroredCounter(registry, 'kismet_ws_clients_dropped_total', 'Sockets disconnected for abuse or for not reading', [], () => [[{}, stats.socketsDropped]])
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
  mirroredCounter(registry, 'kismet_ws_tak_output_connects_total', 'Connections made (UDP: sockets opened), by TAK output', ['output'], () => takOutputs().map((o) => [{ output: o.output }, o.connects]))
  mirroredCounter(registry, 'kismet_ws_connections_refused_total', 'Socket.IO connections refused (origin, token, per-address cap)', [], () => [[{}, stats.connectionsRefused]])

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}

export default routes
