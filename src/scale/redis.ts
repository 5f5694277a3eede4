// The Redis connection every role shares: one URL (redis:// or rediss://) or several
// comma-separated node URLs of a Redis Cluster (ioredis `Cluster`). Reconnects with a capped
// exponential backoff. Two kinds of client: the service's own commands use one without an
// offline queue (a command issued while Redis is away fails at once instead of piling up in
// memory; each caller says what that costs, counted in RedisHealth); the streams adapter's
// keeps ioredis's queue, because its stream reader loops on XREAD and would spin on instant
// failures, and nothing is published into it while Redis is away (the producer holds its
// envelopes in a bounded queue, src/scale/state-writer.ts).
import { isIP } from 'node:net'
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
  /** Why the connection is not up, as the client last said (an untrusted certificate, a refused password...); cleared once ready. */
  connectionError: string | undefined

  set(state: RedisState): void {
    if (state === 'ready') this.connectionError = undefined
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

/** The host of a URL as a socket takes it: an IPv6 address without the brackets a URL writes it in. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1')

/** Where a node URL points (Redis's port when it names none). */
const addressOf = (url: URL): { host: string; port: number } => ({ host: hostOf(url), port: url.port === '' ? 6379 : Number(url.port) })

function nodeOptions(url: URL): RedisOptions {
  const db = url.pathname.replace(/^\//, '')
  return {
    ...addressOf(url),
    ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
    ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
    ...(db !== '' && { db: Number(db) }),
    // TLS checks the certificate against the host (name or IP address) either way; a name goes
    // as SNI too, an IP address may not (RFC 6066: Node warns, DEP0123).
    ...(url.protocol === 'rediss:' && { tls: isIP(hostOf(url)) === 0 ? { servername: url.hostname } : {} }),
  }
}

/** REDIS_URL as the logs name it: scheme, host and port (and db) of each node, never the credentials. */
export function describeRedis(value: string): string {
  return parseRedisUrl(value)
    .urls.map((url) => `${url.protocol}//${url.host}${url.pathname.length > 1 ? url.pathname : ''}`)
    .join(',')
}

export interface ConnectionLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/**
 * Logs what becomes of a client's connection: a failure once per kind (a refused connection,
 * an untrusted certificate, a refused password: not again at every retry), and the connection
 * made. Only the error's message is logged: ioredis errors carry the failed command with its
 * arguments (an AUTH's are the password); the message is Redis's or Node's words alone.
 */
export function logConnection(client: RedisClient, value: string, log: ConnectionLog): void {
  const where = describeRedis(value)
  let failing: string | undefined
  client.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    if (message === failing) return
    failing = message
    log.warn({ redis: where }, `Redis at ${where} is unavailable: ${message} (retrying)`)
  })
  client.on('ready', () => {
    failing = undefined
    log.info({ redis: where }, `Connected to Redis at ${where}`)
  })
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
  }
  let client: RedisClient
  if (target.cluster) {
    const first = nodeOptions(target.urls[0]!)
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: options.offlineQueue,
      clusterRetryStrategy: backoff,
      // No `lazyConnect` here: a cluster's node connections keep ioredis's own (true), so a node
      // waits (`wait`) for its first command, the cluster's ready check (CLUSTER INFO), and holds
      // it until connected. Nodes connecting at once are still connecting when that check comes:
      // with the cluster's offline queue off it fails ("Connection is closed."), the cluster
      // reconnects and, on a busy machine, fails again, for seconds. (The Cluster itself connects
      // at once, which is what the streams adapter needs of the client it duplicates.)
      redisOptions: { ...common, ...(first.username !== undefined && { username: first.username }), ...(first.password !== undefined && { password: first.password }), ...(first.tls !== undefined && { tls: first.tls }) },
    }
    client = new Cluster(target.urls.map(addressOf), clusterOptions)
  } else {
    // The streams adapter duplicates this client and must find it connectable.
    client = new Redis({ ...common, lazyConnect: false, ...nodeOptions(target.urls[0]!) })
  }
  client.on('ready', () => health.set('ready'))
  client.on('close', () => health.set('down'))
  client.on('reconnecting', () => health.set(health.state === 'ready' ? 'down' : health.state))
  client.on('error', (error: unknown) => {
    health.failed(error)
    health.connectionError = health.lastError
  })
  return client
}

/**
 * For the streams adapter's client: the adapter leaves the promises of some of its commands
 * unhandled (its SUBSCRIBE, a session's SET, an ephemeral PUBLISH). ioredis rejects every
 * command its offline queue holds when Redis refuses the password (a fatal error for the
 * connection), and an unhandled rejection ends the process, logging the error with the AUTH
 * command in it, password included. So every command of this client and of its duplicates (the
 * adapter's stream reader and subscriber) gets a handler; a caller that awaits one still sees
 * its rejection. What fails is counted and logged by the service's own connection.
 */
export function handleEveryRejection<T extends RedisClient>(client: T): T {
  const target = client as unknown as { sendCommand(...args: unknown[]): unknown; duplicate(...args: unknown[]): RedisClient }
  const send = target.sendCommand.bind(target)
  target.sendCommand = (...args) => {
    const result = send(...args)
    if (result instanceof Promise) result.catch(() => {})
    return result
  }
  const duplicate = target.duplicate.bind(target)
  target.duplicate = (...args) => handleEveryRejection(duplicate(...args))
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
