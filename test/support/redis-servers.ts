// Redis deployments other than the plain one, each of real redis-server processes of the
// test's own (test/support/cluster.ts startRedis: free loopback ports, temporary folders, no
// persistence, stopped at teardown and with the test process): a TLS-only server for
// rediss:// with certificates the test made (test/support/certs.ts), and a Redis Cluster of
// three masters made with redis-cli. Every wait is for a condition, with an overall timeout.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { TestLike } from '../helper.js'
import type { Certificates } from './certs.js'
import { pollUntil, startRedis, type RedisProcess } from './cluster.js'
import { freePort } from './ports.js'

const run = promisify(execFile)

/** A redis-server that speaks TLS only (`--port 0`), with `certs.server` (signed by `certs.ca`, for 127.0.0.1) and a password. */
export function startTlsRedis(t: TestLike, certs: Certificates, password: string): Promise<RedisProcess> {
  return startRedis(t, {
    listen: (port) => ['--port', '0', '--tls-port', String(port)],
    args: ['--tls-cert-file', certs.server.certPath, '--tls-key-file', certs.server.keyPath, '--tls-ca-cert-file', certs.ca.certPath, '--tls-auth-clients', 'no', '--requirepass', password],
    url: (port) => `rediss://:${encodeURIComponent(password)}@127.0.0.1:${port}`,
  })
}

export interface RedisCluster {
  nodes: RedisProcess[]
  /** REDIS_URL for it: every node's URL, comma-separated. */
  url: string
}

/** `redis-cli -p <port> …` run to its end (throws with its output when it fails). */
async function redisCli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 20_000 })
  return stdout
}

/**
 * A Redis Cluster of `masters` masters and no replicas, every slot covered, `cluster_state:ok`
 * on every node. Each node's cluster bus gets a free port of its own (`--cluster-port`): the
 * default, the node's port + 10000, may be beyond 65535 or taken.
 */
export async function startRedisCluster(t: TestLike, masters = 3): Promise<RedisCluster> {
  const busPorts: number[] = []
  for (let i = 0; i < masters; i++) busPorts.push(await freePort())
  const nodes = await Promise.all(busPorts.map((busPort) => startRedis(t, { args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort)] })))
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
  await redisCli(nodes[0]!.port, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'])
  // Each node says ok once it has heard of every slot's owner over the bus (a moment after create).
  for (const node of nodes) await pollUntil(() => redisCli(node.port, ['cluster', 'info']), (info) => info.includes('cluster_state:ok'), `cluster_state:ok on port ${node.port}`, 10_000)
  return { nodes, url: nodes.map((node) => node.url).join(',') }
}
