// Scale-out (src/scale/): with REDIS_URL, the Redis connections every role shares (one for the
// service's own commands, one for the streams adapter) and the adapter itself, as `app.scale`;
// without it, `app.scale` is undefined and nothing here runs (ROLE=all as a single box).
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import type { ClusterView } from '../../src/api-schemas.js'
import { clusterView } from '../../src/scale/cluster-status.js'
import { ClusterDirectory, Gateway } from '../../src/scale/gateway.js'
import { CHANNEL_PREFIX, SESSION_PREFIX, STREAM_NAME } from '../../src/scale/keys.js'
import { closeRedis, createRedis, handleEveryRejection, logConnection, RedisHealth, type RedisClient } from '../../src/scale/redis.js'
import type { RealtimeServer } from '../../src/realtime/types.js'
import type { Sensors } from '../../src/sensors.js'

export interface Scale {
  role: ClusterView['role']
  /** This process in the cluster's records and envelope ids. */
  runId: string
  health: RedisHealth
  /** The service's own commands. */
  redis: RedisClient
  /** The Socket.IO adapter for a server of this process. */
  adapter: ReturnType<typeof createAdapter>
  /** The gateway's part, once the Socket.IO server exists (ROLE=gateway). */
  gateway: Gateway | undefined
  startGateway(io: RealtimeServer): Gateway
  /** /status's and /stats's `cluster` section; `local`: the sections that are this process's own. */
  view(local: string[]): ClusterView
}

declare module 'fastify' {
  interface FastifyInstance {
    scale: Scale | undefined
  }
}

/** The sensors as this process knows them: its own pipelines, or a gateway's view of the cluster (the leaders' records, the tables it keeps from the stream). */
export function sensorsOf(app: FastifyInstance): Sensors | ClusterDirectory {
  return app.scale?.gateway?.directory ?? app.sensors
}

export default fp(
  async (app) => {
    const { config } = app
    if (config.REDIS_URL === undefined) {
      app.decorate('scale', undefined)
      return
    }
    const health = new RedisHealth()
    const role = config.ROLE
    const runId = randomBytes(4).toString('hex')
    const redis = createRedis(config.REDIS_URL, health, `kismet-ws-${role}-${runId}`, { offlineQueue: false })
    // Its own health object: the service's connection is the one reported.
    const adapterRedis = handleEveryRejection(createRedis(config.REDIS_URL, new RedisHealth(), `kismet-ws-${role}-${runId}-adapter`, { offlineQueue: true }))
    adapterRedis.on('error', () => {})
    // The service's connection speaks for both in the log (the adapter's meets the same Redis).
    logConnection(redis, config.REDIS_URL, app.log.child({ module: 'redis' }))
    const adapter = createAdapter(adapterRedis, { streamName: STREAM_NAME, maxLen: config.REDIS_STREAM_MAXLEN, sessionKeyPrefix: SESSION_PREFIX, channelPrefix: CHANNEL_PREFIX })
    const directory = new ClusterDirectory(app.sensorConfigs.map((sensor) => sensor.name))
    const scale: Scale = {
      role,
      runId,
      health,
      redis,
      adapter,
      gateway: undefined,
      startGateway(io) {
        scale.gateway = new Gateway({ id: runId, io, redis, health, directory, factory: app.envelopes, refreshMs: config.CLUSTER_REFRESH_MS, log: app.log })
        scale.gateway.start()
        return scale.gateway
      },
      view: (local) => clusterView(role, health, directory, local),
    }
    app.decorate('scale', scale)
    // Registered before the Socket.IO server and the producer: closed after them (onClose runs in reverse).
    app.addHook('onClose', async () => {
      await scale.gateway?.close()
      await Promise.all([closeRedis(redis), closeRedis(adapterRedis)])
    })
  },
  { name: 'scale', fastify: '5.x', dependencies: ['config', 'events'] },
)
