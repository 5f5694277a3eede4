// ROLE=producer (src/scale/producer.ts): leads what sensors it can, and publishes through a
// Socket.IO server that never listens, on the streams adapter. Started once the process
// listens (for /health), like the pipelines of ROLE=all; on close it gives up its locks after
// flushing what its pipelines hold, so a standby takes over at once.
import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { Producer } from '../../src/scale/producer.js'
import type { RealtimeServer } from '../../src/realtime/types.js'
import { pipelineOptionsFor } from './sensors.js'

declare module 'fastify' {
  interface FastifyInstance {
    producer: Producer
  }
}

export default fp(
  async (app) => {
    const scale = app.scale
    if (!scale) throw new Error('ROLE=producer needs REDIS_URL')
    const io: RealtimeServer = new Server({ adapter: scale.adapter })
    const byName = new Map(app.sensorConfigs.map((sensor) => [sensor.name, sensor]))
    const producer = new Producer({
      runId: scale.runId,
      sensors: [...byName.keys()],
      pipelineOptions: (name) => pipelineOptionsFor(app, byName.get(name)!),
      io,
      redis: scale.redis,
      health: scale.health,
      clock: app.clock,
      stats: app.stats,
      lockTtlMs: app.config.LEADER_LOCK_TTL_MS,
      refreshMs: app.config.CLUSTER_REFRESH_MS,
      log: app.log.child({ module: 'producer' }),
    })
    app.decorate('producer', producer)
    app.addHook('onListen', async () => producer.start())
    app.addHook('preClose', async () => {
      await producer.close()
      // A server that never listened has no engine for io.close(): its adapter is what to close (its stream reader).
      await io.of('/').adapter.close()
    })
  },
  { name: 'producer', fastify: '5.x', dependencies: ['config', 'events', 'scale'] },
)
