// Whether the configuration leaves the stream open to anyone: no API_TOKEN, every browser
// origin allowed (CORS_ORIGIN=*), and a HOST other machines can reach. Then anyone who can
// reach the port, and any web page one of them opens, can read the stream and the REST API;
// the start log says so once (plugins/app/open-access.ts).
import { isIP } from 'node:net'
import type { Config } from './config.js'
import { parseOrigins } from './realtime/origins.js'

/** Addresses only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped), `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost') return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) !== 6) return false
  // The URL parser writes an IPv6 address in its shortest form: [::1], [::ffff:7f00:1].
  const canonical = new URL(`http://[${bare}]`).hostname
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:/.test(canonical)
}

type OpenAccessConfig = Pick<Config, 'API_TOKEN' | 'CORS_ORIGIN' | 'HOST'>

/** The warning to log at start, or undefined when the stream is not open to anyone. */
export function openAccessWarning(config: OpenAccessConfig, port: number): string | undefined {
  if (config.API_TOKEN !== undefined || parseOrigins(config.CORS_ORIGIN) !== '*' || isLoopbackHost(config.HOST)) return undefined
  return (
    `Open to anyone: HOST=${config.HOST} accepts connections from other machines, no API_TOKEN is set and CORS_ORIGIN=*, ` +
    `so anyone who can reach port ${port}, and any web page one of them opens, can read the stream and the REST API. ` +
    'To close it, set API_TOKEN (clients then send it) and CORS_ORIGIN (the origins of the pages that may connect), or HOST=127.0.0.1 to serve this machine only.'
  )
}
