// One pipeline per configured sensor (src/pipeline.ts), as `app.sensors`, each started once
// the server listens: a port that cannot be had is said before anything about Kismet, and
// nothing is asked of Kismet by a process that will not serve. (An app that never listens,
// a test using inject, starts them itself if it needs them.) The ordered shutdown is plugins/app/shutdown.ts's; the onClose here only
// makes sure nothing is left running if the app closes before that.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createPipeline, type PipelineOptions } from '../../src/pipeline.js'
import { connectedClients } from '../../src/realtime/census.js'
import { credentialSource, urlSetting, type SensorConfig } from '../../src/sensor-config.js'
import { Sensors } from '../../src/sensors.js'

declare module 'fastify' {
  interface FastifyInstance {
    sensors: Sensors
  }
}

/** One configured sensor's pipeline options, but for where its envelopes go (ROLE=all here, ROLE=producer in plugins/app/producer.ts). */
export function pipelineOptionsFor(app: FastifyInstance, sensor: SensorConfig): Omit<PipelineOptions, 'factory' | 'publish' | 'clients'> {
  const { config, clock, stats } = app
  return {
    name: sensor.name,
    settings: {
      kismet: {
        baseUrl: sensor.url,
        ...(sensor.apiKey !== undefined && { apiKey: sensor.apiKey }),
        ...(sensor.user !== undefined && { user: sensor.user }),
        ...(sensor.password !== undefined && { password: sensor.password }),
        timeoutMs: config.KISMET_TIMEOUT_MS,
      },
      poll: {
        enabled: config.KISMET_ENABLED,
        pollIntervalMs: config.POLL_INTERVAL_MS,
        heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
        retryDelayMs: config.RETRY_DELAY_MS,
        maxRetries: config.MAX_RETRIES,
        deviceTtlS: config.DEVICE_TTL_S,
        credential: credentialSource(sensor, config.KISMET_SENSORS !== undefined),
        urlSetting: urlSetting(sensor, config.KISMET_SENSORS !== undefined),
        gpsIntervalMs: config.GPS_INTERVAL_MS,
      },
      throttle: {
        deviceUpdateMs: config.THROTTLE_DEVICE_UPDATE_MS,
        signalMs: config.THROTTLE_SIGNAL_MS,
        scanMs: config.THROTTLE_SCAN_MS,
        systemMs: config.THROTTLE_SYSTEM_MS,
      },
      eventbus: { mode: config.KISMET_EVENTBUS, pollIntervalMs: config.POLL_INTERVAL_EVENTBUS_MS },
    },
    clock,
    log: app.log.child({ module: 'poller', sensor: sensor.name }),
    serviceStats: stats,
  }
}

export default fp(
  async (app) => {
    const { config, envelopes, events } = app
    // A gateway reads no sensor itself (src/scale/gateway.ts serves what producers keep in Redis).
    const pipelines = config.ROLE === 'gateway' ? [] : app.sensorConfigs.map((sensor) =>
      createPipeline({
        ...pipelineOptionsFor(app, sensor),
        factory: envelopes,
        publish: (envelope) => events.publish(envelope),
        // Read when system:status is made: the Socket.IO plugin comes after this one (and a
        // process that serves no clients has none).
        clients: () => (app.hasDecorator('io') ? connectedClients(app.io) : 0),
      }),
    )
    const sensors = new Sensors(pipelines)
    app.decorate('sensors', sensors)
    app.addHook('onListen', async () => {
      for (const pipeline of pipelines) pipeline.start()
    })
    app.addHook('onClose', async () => {
      await Promise.all(pipelines.map((pipeline) => pipeline.stop()))
    })
  },
  { name: 'sensors', fastify: '5.x', dependencies: ['config', 'events'] },
)
