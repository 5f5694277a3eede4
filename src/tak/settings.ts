// TAK's configuration, from the validated TAK_* variables (src/config.ts) to what the TAK
// module runs with, checking what a schema cannot: that the multicast address is one and the
// interface is this machine's, that times fit together, that each enabled output has its
// target, that the PEM files can be read and hold what they should. A bad value is a
// ConfigError of one line naming the variable, like every other configuration error; the key
// passphrase is never shown.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { ConfigError, type Config } from '../config.js'
import type { MarkerSettings } from './markers.js'
import { parseMatcher, type DeviceMatcher } from './policy.js'
import type { UdpTarget } from './outputs/udp.js'

export interface TlsSettings {
  host: string
  port: number
  /** PEM texts. */
  cert?: string
  key?: string
  passphrase?: string
  ca?: string
  /** Check the server's certificate (chain and name); false only by TAK_TLS_VERIFY=false. */
  verify: boolean
  /** The name to check the certificate against (and send as SNI) when it is not the host. */
  serverName?: string
}

export interface TakSettings {
  enabled: boolean
  markers: MarkerSettings
  outputs: {
    multicast?: Extract<UdpTarget, { kind: 'multicast' }>
    unicast?: Extract<UdpTarget, { kind: 'unicast' }>
    tcp?: { host: string; port: number }
    tls?: TlsSettings
  }
}

function invalid(name: string, value: string | undefined, problem: string): ConfigError {
  const shown = value === undefined ? '' : `=${JSON.stringify(value.slice(0, 200))}`
  return new ConfigError(`Invalid configuration: ${name}${shown} ${problem}`)
}

/** A list variable: a JSON array of strings when it starts with '[', else comma-separated. */
function listOf(name: string, raw: string | undefined): DeviceMatcher | null {
  if (raw === undefined) return null
  let entries: string[]
  if (raw.trimStart().startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      throw invalid(name, undefined, 'is not a valid JSON array of strings')
    }
    if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === 'string')) throw invalid(name, undefined, 'must be a JSON array of strings')
    entries = parsed
  } else {
    entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  }
  try {
    return parseMatcher(entries)
  } catch (error) {
    throw invalid(name, undefined, `has an entry that is wrong: ${(error as Error).message}`)
  }
}

function isMulticast(address: string): boolean {
  if (isIP(address) !== 4) return false
  const first = Number(address.split('.')[0])
  return first >= 224 && first <= 239
}

function localAddresses(): Set<string> {
  const addresses = new Set<string>()
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) addresses.add(entry.address)
  return addresses
}

function required(name: string, value: string | undefined, output: string): string {
  if (value === undefined) throw invalid(name, undefined, `must be set when ${output} is true`)
  return value
}

function readPem(name: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw invalid(name, path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
}

function certificate(name: string, path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw invalid(name, path, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----); a .p12 converts with `openssl pkcs12 -legacy -in client.p12 -clcerts -nokeys -out client.pem`')
  }
}

function tlsSettings(config: Config): TlsSettings {
  const host = required('TAK_TLS_HOST', config.TAK_TLS_HOST, 'TAK_TLS_ENABLED')
  if ((config.TAK_TLS_CERT === undefined) !== (config.TAK_TLS_KEY === undefined)) {
    throw invalid(config.TAK_TLS_CERT === undefined ? 'TAK_TLS_CERT' : 'TAK_TLS_KEY', undefined, 'must be set too: the client certificate and its key go together')
  }
  if (config.TAK_TLS_KEY_PASSPHRASE !== undefined && config.TAK_TLS_KEY === undefined) throw invalid('TAK_TLS_KEY_PASSPHRASE', undefined, 'is set but TAK_TLS_KEY is not')
  const cert = readPem('TAK_TLS_CERT', config.TAK_TLS_CERT)
  const key = readPem('TAK_TLS_KEY', config.TAK_TLS_KEY)
  const ca = readPem('TAK_TLS_CA', config.TAK_TLS_CA)
  if (ca !== undefined) certificate('TAK_TLS_CA', config.TAK_TLS_CA!, ca)
  if (cert !== undefined && key !== undefined) {
    const x509 = certificate('TAK_TLS_CERT', config.TAK_TLS_CERT!, cert)
    let privateKey: KeyObject
    try {
      privateKey = createPrivateKey({ key, ...(config.TAK_TLS_KEY_PASSPHRASE !== undefined && { passphrase: config.TAK_TLS_KEY_PASSPHRASE }) })
    } catch {
      const why = config.TAK_TLS_KEY_PASSPHRASE === undefined ? 'holds no PEM private key we can read (an encrypted key needs TAK_TLS_KEY_PASSPHRASE)' : 'holds no PEM private key that TAK_TLS_KEY_PASSPHRASE opens'
      throw invalid('TAK_TLS_KEY', config.TAK_TLS_KEY, why)
    }
    if (!x509.checkPrivateKey(privateKey)) throw invalid('TAK_TLS_KEY', config.TAK_TLS_KEY, 'is not the private key of TAK_TLS_CERT')
  }
  return {
    host,
    port: config.TAK_TLS_PORT,
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(config.TAK_TLS_KEY_PASSPHRASE !== undefined && { passphrase: config.TAK_TLS_KEY_PASSPHRASE }),
    ...(ca !== undefined && { ca }),
    verify: config.TAK_TLS_VERIFY,
    ...(config.TAK_TLS_SERVER_NAME !== undefined && { serverName: config.TAK_TLS_SERVER_NAME }),
  }
}

export function takSettings(config: Config): TakSettings {
  if (config.TAK_REFRESH_S >= config.TAK_STALE_S) {
    throw invalid('TAK_REFRESH_S', String(config.TAK_REFRESH_S), `must be less than TAK_STALE_S (${config.TAK_STALE_S}): a marker is sent again before it goes stale`)
  }
  if (config.TAK_MIN_INTERVAL_S > config.TAK_REFRESH_S) {
    throw invalid('TAK_MIN_INTERVAL_S', String(config.TAK_MIN_INTERVAL_S), `must be at most TAK_REFRESH_S (${config.TAK_REFRESH_S})`)
  }
  const outputs: TakSettings['outputs'] = {}
  if (config.TAK_MULTICAST_ENABLED) {
    if (!isMulticast(config.TAK_MULTICAST_ADDRESS)) throw invalid('TAK_MULTICAST_ADDRESS', config.TAK_MULTICAST_ADDRESS, 'is invalid: expected an IPv4 multicast address (224.0.0.0 to 239.255.255.255), such as 239.2.3.1')
    const iface = config.TAK_MULTICAST_INTERFACE
    if (iface !== undefined && (isIP(iface) !== 4 || !localAddresses().has(iface))) {
      throw invalid('TAK_MULTICAST_INTERFACE', iface, "is invalid: expected the IPv4 address of one of this machine's interfaces")
    }
    outputs.multicast = { kind: 'multicast', address: config.TAK_MULTICAST_ADDRESS, port: config.TAK_MULTICAST_PORT, ttl: config.TAK_MULTICAST_TTL, ...(iface !== undefined && { interface: iface }) }
  }
  if (config.TAK_UNICAST_ENABLED) outputs.unicast = { kind: 'unicast', host: required('TAK_UNICAST_HOST', config.TAK_UNICAST_HOST, 'TAK_UNICAST_ENABLED'), port: config.TAK_UNICAST_PORT }
  if (config.TAK_TCP_ENABLED) outputs.tcp = { host: required('TAK_TCP_HOST', config.TAK_TCP_HOST, 'TAK_TCP_ENABLED'), port: config.TAK_TCP_PORT }
  if (config.TAK_TLS_ENABLED) outputs.tls = tlsSettings(config)

  return {
    enabled: config.TAK_ENABLED,
    markers: {
      staleMs: config.TAK_STALE_S * 1000,
      refreshMs: config.TAK_REFRESH_S * 1000,
      minIntervalMs: config.TAK_MIN_INTERVAL_S * 1000,
      maxDevices: config.TAK_MAX_DEVICES,
      uidPrefix: config.TAK_UID_PREFIX,
      uidWithSensor: config.TAK_UID_SENSOR,
      sensorMarker: config.TAK_SENSOR_MARKER,
      deleteOnRemove: config.TAK_DELETE_ON_REMOVE,
      types: { accessPoint: config.TAK_TYPE_AP, client: config.TAK_TYPE_CLIENT, sensor: config.TAK_TYPE_SENSOR },
      policy: {
        includeClients: config.TAK_INCLUDE_CLIENTS,
        includeRandomized: config.TAK_INCLUDE_RANDOMIZED,
        minSignalDbm: config.TAK_MIN_SIGNAL_DBM ?? null,
        allow: listOf('TAK_ALLOW', config.TAK_ALLOW),
        deny: listOf('TAK_DENY', config.TAK_DENY) ?? { macs: new Set(), ouis: new Set(), ssids: new Set() },
      },
    },
    outputs,
  }
}
