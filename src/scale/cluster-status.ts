// The `cluster` section of /status and /stats: what Redis says of the whole cluster, beside
// the figures that are this process's own (named in `local`).
import type { ClusterView } from '../api-schemas.js'
import type { ClusterDirectory } from './gateway.js'
import type { RedisHealth } from './redis.js'
import { stateOfRecord } from './cluster-view.js'

export function clusterView(role: ClusterView['role'], health: RedisHealth, directory: ClusterDirectory, local: string[]): ClusterView {
  const sensors = directory.names().map((name) => {
    const record = directory.records.get(name)
    return {
      name,
      leader: record?.leader ?? null,
      state: stateOfRecord(record),
      deviceCount: record?.status.deviceCount ?? 0,
      polls: record?.counters.polls ?? 0,
      errors: record?.counters.errors ?? 0,
      held: record?.writer.held ?? 0,
      dropped: record?.writer.dropped ?? 0,
    }
  })
  return {
    role,
    local,
    redis: { state: health.state, since: health.since, disconnects: health.disconnects, failures: health.failures },
    gateways: directory.gateways,
    clients: directory.clusterClients,
    deviceCount: sensors.reduce((sum, sensor) => sum + sensor.deviceCount, 0),
    sensors,
  }
}
