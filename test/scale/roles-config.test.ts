// ROLE and REDIS_URL: what a bad combination says (one line, like every configuration error).
import t from 'tap'
import Fastify from 'fastify'
import app from '../../app.js'
import { ConfigError } from '../../src/config.js'
import { hostOf, parseRedisUrl } from '../../src/scale/redis.js'
import { testEnv } from '../helper.js'

async function configError(env: Record<string, string>): Promise<string> {
  const instance = Fastify({ logger: false })
  try {
    await instance.register(app, { env: testEnv(env) })
    await instance.ready()
    return 'no error'
  } catch (error) {
    return error instanceof ConfigError ? error.message : `not a ConfigError: ${String(error)}`
  } finally {
    await instance.close().catch(() => {})
  }
}

t.test('a gateway or a producer without REDIS_URL is a configuration error', async (t) => {
  for (const role of ['gateway', 'producer']) {
    t.equal(await configError({ ROLE: role }), `Invalid configuration: ROLE=${role} needs REDIS_URL (the Redis the roles share)`)
  }
})

t.test('ROLE and REDIS_URL are checked, and REDIS_URL (which may hold a password) is never shown', async (t) => {
  t.match(await configError({ ROLE: 'poller' }), /^Invalid configuration: ROLE="poller" is invalid: expected all \(one process does everything\), gateway/)
  const message = await configError({ ROLE: 'gateway', REDIS_URL: 'http://user:secret@redis:6379' })
  t.match(message, /^Invalid configuration: REDIS_URL is invalid: expected a redis:\/\/ or rediss:\/\/ URL/)
  t.notMatch(message, /secret/)
  t.match(await configError({ REDIS_STREAM_MAXLEN: '10' }), /REDIS_STREAM_MAXLEN="10" is invalid/)
  t.match(await configError({ LEADER_LOCK_TTL_MS: '5' }), /LEADER_LOCK_TTL_MS="5" is invalid/)
})

t.test('REDIS_URL: one node, TLS, or the nodes of a Redis Cluster', async (t) => {
  t.same(parseRedisUrl('redis://redis:6379/0').cluster, false)
  t.equal(hostOf(parseRedisUrl('redis://[::1]:6379').urls[0]!), '::1', 'an IPv6 host without its brackets')
  t.equal(hostOf(parseRedisUrl('redis://10.0.0.5:6379').urls[0]!), '10.0.0.5')
  t.equal(parseRedisUrl('rediss://:pw@redis.example:6380').urls[0]!.protocol, 'rediss:')
  const cluster = parseRedisUrl('redis://a:7000,redis://b:7001,redis://c:7002')
  t.equal(cluster.cluster, true)
  t.same(cluster.urls.map((u) => u.port), ['7000', '7001', '7002'])
})

t.test('ROLE=all without REDIS_URL runs as a single process, with no cluster section', async (t) => {
  const instance = Fastify({ logger: false })
  t.teardown(() => instance.close())
  await instance.register(app, { env: testEnv() })
  await instance.ready()
  t.equal(instance.scale, undefined, 'no Redis')
  const status = await instance.inject({ url: '/api/kismet/ws/status' })
  t.equal(status.statusCode, 200)
  t.notOk('cluster' in status.json().data, 'no cluster section')
})
