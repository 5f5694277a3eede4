// The Redis connection every role shares: one URL (redis:// or rediss://) or several
// comma-separated node URLs of a Redis Cluster (ioredis `Cluster`). Reconnects with a capped
// exponential backoff. Two kinds of client: the service's own commands use one without an
// offline queue (a command issued while Redis is away fails at once instead of piling up in
// memory; each caller says what that costs, counted in RedisHealth); the streams adapter's
// keeps ioredis's queue, because its stream reader loops on XREAD and would spin on instant
// failures, and nothing is published into it while Redis is away (the producer holds its
// envelopes in a bounded queue, src/scale/state-writer.ts).
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'

export type RedisClient = Redis | Cluster

/** Reconnect delays: 50 ms doubling up to this. */
export const MAX_RECONNECT_DELAY_MS = 2000

export type RedisState = 'connecting' | 'ready' | 'down'

/** What /ready, /status and /metrics say about Redis: the state, since when, and the failures counted. */
export class RedisHealth {
  state: RedisState = 'connecting'
  since = Date.now()
  /** Times the connection was lost. */
  disconnects = 0
  /** Commands that failed (Redis away or an error answer). */
  failures = 0
  lastError: string | undefined

  set(state: RedisState): void {
    if (state === this.state) return
    if (this.state === 'ready' && state !== 'ready') this.disconnects += 1
    this.state = state
    this.since = Date.now()
  }

  failed(error: unknown): void {
    this.failures += 1
    this.lastError = error instanceof Error ? error.message : String(error)
  }
}

export interface RedisTarget {
  /** One node, or the seed nodes of a cluster. */
  urls: URL[]
  cluster: boolean
}

/** REDIS_URL read: one URL, or a comma-separated list (a Redis Cluster's nodes). */
export function parseRedisUrl(value: string): RedisTarget {
  const urls = value.split(',').map((part) => new URL(part.trim()))
  return { urls, cluster: urls.length > 1 }
}

function nodeOptions(url: URL): RedisOptions {
  const db = url.pathname.replace(/^\//, '')
  return {
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
    ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
    ...(db !== '' && { db: Number(db) }),
    ...(url.protocol === 'rediss:' && { tls: { servername: url.hostname } }),
  }
}

const backoff = (attempt: number): number => Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(attempt, 10))

/** A client for REDIS_URL whose state is mirrored in `health`. */
export function createRedis(value: string, health: RedisHealth, name: string, options: { offlineQueue: boolean }): RedisClient {
  const target = parseRedisUrl(value)
  const common: RedisOptions = {
    connectionName: name,
    enableOfflineQueue: options.offlineQueue,
    maxRetriesPerRequest: options.offlineQueue ? null : 1,
    retryStrategy: backoff,
    // The streams adapter duplicates this client and must find it connectable.
    lazyConnect: false,
  }
  let client: RedisClient
  if (target.cluster) {
    const first = nodeOptions(target.urls[0]!)
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: options.offlineQueue,
      clusterRetryStrategy: backoff,
      redisOptions: { ...common, ...(first.username !== undefined && { username: first.username }), ...(first.password !== undefined && { password: first.password }), ...(first.tls !== undefined && { tls: first.tls }) },
    }
    client = new Cluster(target.urls.map((url) => ({ host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) })), clusterOptions)
  } else {
    client = new Redis({ ...common, ...nodeOptions(target.urls[0]!) })
  }
  client.on('ready', () => health.set('ready'))
  client.on('close', () => health.set('down'))
  client.on('reconnecting', () => health.set(health.state === 'ready' ? 'down' : health.state))
  client.on('error', (error: unknown) => health.failed(error))
  return client
}

/** Resolves once the client is ready (or rejects after `timeoutMs`). */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady)
      reject(new Error(`Redis not ready after ${timeoutMs} ms`))
    }, timeoutMs)
    const onReady = () => {
      clearTimeout(timer)
      resolve()
    }
    client.once('ready', onReady)
  })
}

/** Closes a client: QUIT when connected, a plain disconnect otherwise. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // fall through to disconnect
    }
  }
  client.disconnect()
}
