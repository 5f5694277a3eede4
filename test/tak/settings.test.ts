// TAK_* variables to the settings TAK runs with: defaults, lists, outputs, and the PEM files
// of the TLS output checked at start (readable, a certificate, a key that opens with the
// passphrase and belongs to the certificate), each problem one line naming the variable.
import t from 'tap'
import Fastify from 'fastify'
import configPlugin from '../../plugins/app/config.js'
import { ConfigError, type Config } from '../../src/config.js'
import { takSettings } from '../../src/tak/settings.js'
import { makeCertificates } from '../support/certs.js'

async function config(env: Record<string, string>): Promise<Config> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(configPlugin, { env })
  await app.ready()
  return app.config
}

async function refused(env: Record<string, string>): Promise<string> {
  try {
    takSettings(await config(env))
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  throw new Error('accepted')
}

t.test('defaults: TAK on, no network output, access points only, a 5 min stale, a 1 min refresh', async (t) => {
  const s = takSettings(await config({}))
  t.equal(s.enabled, true)
  t.same(s.outputs, {})
  t.match(s.markers, { staleMs: 300_000, refreshMs: 60_000, minIntervalMs: 5000, maxDevices: 500, uidPrefix: 'kismet', uidWithSensor: false, sensorMarker: true, deleteOnRemove: false })
  t.same(s.markers.types, { accessPoint: 'a-u-G', client: 'a-u-G', sensor: 'a-f-G-E-S' })
  t.match(s.markers.policy, { includeClients: false, includeRandomized: false, minSignalDbm: null, allow: null })
})

t.test('lists: comma-separated or a JSON array (for an SSID holding a comma)', async (t) => {
  const s = takSettings(await config({ TAK_ALLOW: 'aa-bb-cc-dd-ee-ff, 00:40:96 ,ssid:Lobby', TAK_DENY: '["ssid:Smith, Family", "F0:9F:C2"]' }))
  t.same([...s.markers.policy.allow!.macs], ['AA:BB:CC:DD:EE:FF'])
  t.same([...s.markers.policy.allow!.ouis], ['00:40:96'])
  t.same([...s.markers.policy.allow!.ssids], ['Lobby'])
  t.same([...s.markers.policy.deny.ssids], ['Smith, Family'])
  t.match(await refused({ TAK_DENY: '["ssid:x", 5]' }), /^Invalid configuration: TAK_DENY must be a JSON array of strings$/)
  t.match(await refused({ TAK_ALLOW: 'ssid:' }), /TAK_ALLOW has an entry that is wrong: "ssid:" needs an SSID/)
})

t.test('outputs: each enabled with its target; multicast from an interface of this machine', async (t) => {
  const s = takSettings(await config({ TAK_MULTICAST_ENABLED: 'true', TAK_MULTICAST_INTERFACE: '127.0.0.1', TAK_MULTICAST_TTL: '4', TAK_UNICAST_ENABLED: 'true', TAK_UNICAST_HOST: '192.168.1.50', TAK_TCP_ENABLED: 'true', TAK_TCP_HOST: 'tak.example.org', TAK_TCP_PORT: '8088' }))
  t.same(s.outputs.multicast, { kind: 'multicast', address: '239.2.3.1', port: 6969, ttl: 4, interface: '127.0.0.1' })
  t.same(s.outputs.unicast, { kind: 'unicast', host: '192.168.1.50', port: 4242 })
  t.same(s.outputs.tcp, { host: 'tak.example.org', port: 8088 })
  t.match(await refused({ TAK_MULTICAST_ENABLED: 'true', TAK_MULTICAST_INTERFACE: '198.51.100.77' }), /TAK_MULTICAST_INTERFACE="198.51.100.77" is invalid: expected the IPv4 address of one of this machine's interfaces/)
  t.match(await refused({ TAK_UNICAST_ENABLED: 'true' }), /TAK_UNICAST_HOST must be set when TAK_UNICAST_ENABLED is true/)
  t.match(await refused({ TAK_MIN_INTERVAL_S: '90' }), /TAK_MIN_INTERVAL_S="90" must be at most TAK_REFRESH_S \(60\)/)
})

t.test('TLS: PEM files read and checked at start', async (t) => {
  const certs = makeCertificates(t)
  const tls = (more: Record<string, string>) => ({ TAK_TLS_ENABLED: 'true', TAK_TLS_HOST: '10.0.0.5', ...more })
  const s = takSettings(await config(tls({ TAK_TLS_CERT: certs.client.certPath, TAK_TLS_KEY: certs.client.keyPath, TAK_TLS_CA: certs.ca.certPath })))
  t.same(s.outputs.tls, { host: '10.0.0.5', port: 8089, cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert, verify: true }, 'verifying the server by default')
  const encrypted = takSettings(await config(tls({ TAK_TLS_CERT: certs.client.certPath, TAK_TLS_KEY: certs.encryptedClientKeyPath, TAK_TLS_KEY_PASSPHRASE: certs.passphrase, TAK_TLS_VERIFY: 'false', TAK_TLS_SERVER_NAME: 'takserver' })))
  t.match(encrypted.outputs.tls, { passphrase: certs.passphrase, verify: false, serverName: 'takserver' }, 'an encrypted key with its passphrase; the explicit opt-out')

  const problems: Array<[Record<string, string>, RegExp]> = [
    [{ TAK_TLS_CERT: certs.client.certPath }, /^Invalid configuration: TAK_TLS_KEY must be set too: the client certificate and its key go together$/],
    [{ TAK_TLS_CERT: certs.client.keyPath, TAK_TLS_KEY: certs.client.keyPath }, /TAK_TLS_CERT=".*client.key" holds no PEM certificate/],
    [{ TAK_TLS_CERT: certs.client.certPath, TAK_TLS_KEY: certs.server.keyPath }, /TAK_TLS_KEY=".*server.key" is not the private key of TAK_TLS_CERT/],
    [{ TAK_TLS_CERT: certs.client.certPath, TAK_TLS_KEY: certs.encryptedClientKeyPath }, /TAK_TLS_KEY=".*" holds no PEM private key we can read \(an encrypted key needs TAK_TLS_KEY_PASSPHRASE\)/],
    [{ TAK_TLS_CERT: certs.client.certPath, TAK_TLS_KEY: certs.encryptedClientKeyPath, TAK_TLS_KEY_PASSPHRASE: 'WRONG-SECRET' }, /holds no PEM private key that TAK_TLS_KEY_PASSPHRASE opens/],
    [{ TAK_TLS_CA: `${certs.dir}/missing.pem` }, /TAK_TLS_CA=".*missing.pem" cannot be read \(ENOENT\)/],
  ]
  for (const [env, expected] of problems) {
    const message = await refused(tls(env))
    t.match(message, expected)
    t.notMatch(message, /\n|SECRET/, 'one line, no passphrase')
  }
})
