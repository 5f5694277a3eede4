// Every Redis key the roles share. A sensor's keys carry its name as a hash tag (`{north}`),
// so that in a Redis Cluster they sit in one slot and can be read and written in one MULTI.
export const KEY_PREFIX = 'kismet-ws'

export const sensorKeys = (sensor: string) => {
  const base = `${KEY_PREFIX}:{${sensor}}`
  return {
    /** HASH device key -> WifiDevice JSON: the table as clients were last told it. */
    devices: `${base}:devices`,
    /** ZSET alert id -> sequence of its alert:new: the alert de-duplication state. */
    alertsSeen: `${base}:alerts:seen`,
    /** HASH: lastSeq, lastId (the last envelope folded into the table), scan, system, backlog (JSON). */
    meta: `${base}:meta`,
    /** The leader lock (redlock resource). */
    lock: `${base}:lock`,
    /** STRING JSON, expiring: the leader's view of the sensor for /status, /stats and /metrics. */
    status: `${base}:status`,
  }
}

/** HASH gateway id -> JSON { clients, expiresAt }: each gateway's figures, for the cluster totals (one key: cluster-safe). */
export const GATEWAYS_KEY = `${KEY_PREFIX}:gateways`

/** The Socket.IO stream of the streams adapter (its session keys use SESSION_PREFIX). */
export const STREAM_NAME = `${KEY_PREFIX}:socket.io`
export const SESSION_PREFIX = `${KEY_PREFIX}:sio:session:`
export const CHANNEL_PREFIX = `${KEY_PREFIX}:socket.io`

/** The sequence number of an envelope id `<run id>-<sequence>` (NaN for anything else). */
export function sequenceOf(id: string): number {
  const dash = id.lastIndexOf('-')
  return dash < 0 ? Number.NaN : Number(id.slice(dash + 1))
}
