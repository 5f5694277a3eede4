// What the roles tell each other through Redis besides the stream: each leading producer's
// view of its sensor (state, link, counters: for a gateway's /status, /stats, /metrics and
// the `connected` greeting) and each gateway's client count (for the cluster totals and
// system:status). Every record expires, so a dead process drops out by itself.
import type { SensorStatus } from '../api-schemas.js'
import type { ConnectionState } from '../events.js'
import type { KismetCounters } from '../sensors.js'
import { GATEWAYS_KEY, sensorKeys } from './keys.js'
import type { RedisClient } from './redis.js'

/** A leading producer's view of one sensor. */
export interface SensorRecord {
  /** The producer leading it (its run id). */
  leader: string
  status: SensorStatus
  counters: KismetCounters
  /**
   * Envelopes held while Redis was away, and dropped; batches written; the sequence of the
   * last whole-table resync sent to clients (0: none; a gateway acts on each new one).
   */
  writer: { held: number; dropped: number; writes: number; resyncSeq: number }
  at: number
}

export interface GatewayRecord {
  clients: number
  expiresAt: number
}

export async function writeSensorRecord(redis: RedisClient, sensor: string, record: SensorRecord, ttlMs: number): Promise<void> {
  await redis.set(sensorKeys(sensor).status, JSON.stringify(record), 'PX', ttlMs)
}

export async function readSensorRecords(redis: RedisClient, sensors: readonly string[]): Promise<Map<string, SensorRecord>> {
  const records = new Map<string, SensorRecord>()
  // One GET per sensor (their keys live in different cluster slots).
  const texts = await Promise.all(sensors.map((sensor) => redis.get(sensorKeys(sensor).status)))
  sensors.forEach((sensor, i) => {
    const text = texts[i]
    if (text) records.set(sensor, JSON.parse(text) as SensorRecord)
  })
  return records
}

export async function writeGatewayRecord(redis: RedisClient, id: string, clients: number, ttlMs: number): Promise<void> {
  const record: GatewayRecord = { clients, expiresAt: Date.now() + ttlMs }
  await redis.hset(GATEWAYS_KEY, id, JSON.stringify(record))
}

export async function removeGatewayRecord(redis: RedisClient, id: string): Promise<void> {
  await redis.hdel(GATEWAYS_KEY, id)
}

/** The live gateways' records (expired ones are removed on the way). */
export async function readGatewayRecords(redis: RedisClient): Promise<Map<string, GatewayRecord>> {
  const all = await redis.hgetall(GATEWAYS_KEY)
  const live = new Map<string, GatewayRecord>()
  const expired: string[] = []
  const now = Date.now()
  for (const [id, text] of Object.entries(all)) {
    const record = JSON.parse(text) as GatewayRecord
    if (record.expiresAt < now) expired.push(id)
    else live.set(id, record)
  }
  if (expired.length > 0) await redis.hdel(GATEWAYS_KEY, ...expired)
  return live
}

/** A sensor nobody leads (no record) is `connecting` to the cluster's clients. */
export function stateOfRecord(record: SensorRecord | undefined): ConnectionState {
  return record?.status.state ?? 'connecting'
}
