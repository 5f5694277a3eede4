// Prometheus metrics at /metrics, read from the service counters at scrape time. Each app
// has its own registry (tests build many apps in one process).
import type { FastifyPluginAsync } from 'fastify'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { CONNECTION_STATES, type EventType } from '../src/events.js'
import type { KismetErrorKind } from '../src/kismet/errors.js'
import { connectedClients } from '../src/realtime/census.js'

/** A counter whose value is read from elsewhere: set to the current total at each scrape. */
function mirroredCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Record<string, number>) {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const [label, value] of Object.entries(read())) {
        if (labelNames.length === 0) this.inc(value)
        else this.inc({ [labelNames[0]!]: label }, value)
      }
    },
  })
}

const routes: FastifyPluginAsync = async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'kismet_ws_process_' })
  const { stats } = app

  new Gauge({
    name: 'kismet_ws_clients',
    help: 'Socket.IO clients connected',
    registers: [registry],
    collect() {
      this.set(connectedClients(app.io))
    },
  })
  new Gauge({
    name: 'kismet_ws_devices_tracked',
    help: 'Devices in the table',
    registers: [registry],
    collect() {
      this.set(app.pipeline.tracker.size)
    },
  })
  new Gauge({
    name: 'kismet_ws_kismet_state',
    help: 'Connection state towards Kismet (1 for the current state)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of CONNECTION_STATES) this.set({ state }, app.pipeline.poller.state === state ? 1 : 0)
    },
  })
  new Gauge({
    name: 'kismet_ws_poll_duration_seconds',
    help: 'Duration of the last poll cycle',
    registers: [registry],
    collect() {
      this.set(stats.lastPollMs / 1000)
    },
  })
  mirroredCounter(registry, 'kismet_ws_polls_total', 'Poll cycles run', [], () => ({ polls: stats.polls }))
  mirroredCounter(registry, 'kismet_ws_events_total', 'Events emitted, by type', ['type'], () => ({ ...stats.eventsByType }) as Record<EventType, number>)
  mirroredCounter(registry, 'kismet_ws_events_coalesced_total', 'Events absorbed by throttling', [], () => ({ coalesced: stats.coalesced }))
  mirroredCounter(registry, 'kismet_ws_kismet_errors_total', 'Failed Kismet requests, by kind', ['kind'], () => ({ ...stats.kismetErrors }) as Record<KismetErrorKind, number>)
  mirroredCounter(registry, 'kismet_ws_kismet_bytes_received_total', 'Response bytes received from Kismet', [], () => ({ bytes: stats.bytesReceived }))
  mirroredCounter(registry, 'kismet_ws_malformed_records_total', 'Kismet records skipped as malformed', [], () => ({ malformed: stats.malformedRecords }))
  mirroredCounter(registry, 'kismet_ws_client_errors_total', 'Client messages refused, by code', ['code'], () => ({ ...stats.clientErrors }))

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}

export default routes
