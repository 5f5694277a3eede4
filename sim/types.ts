// The simulator's public data types: the ground truth it keeps, in Kismet's own units.
// simulator.ts re-exports all of them.
import type { Clock } from '../src/clock.js'

/** Where the eventbus's one-second tick (TIMESTAMP, GPS_LOCATION) is scheduled: real timers, or a test's ManualClock. */
export type SimTimers = Pick<Clock, 'setTimeout' | 'clearTimeout'>

/** Which real Kismet server to imitate (see test/fixtures/kismet/release-2025-09-R1/README.md). */
export type SimFlavor = 'master' | 'release-2025-09-R1'

export interface SimLocation {
  lat: number
  lon: number
  alt: number
  /** 0/1 none, 2 = 2D, 3 = 3D (Kismet's fix values). */
  fix: number
}

export interface SimulatorOptions {
  /** Read-only API key: Cookie KISMET=<key>, or ?KISMET=<key> only when the request has no Cookie header. */
  apiKey?: string
  /** Admin login: HTTP Basic or ?user=&password=; answered with a JWT Set-Cookie like 2023-07+ servers. */
  user?: string
  password?: string
  /** Seed this many realistic Wi-Fi devices at construction. */
  devices?: number
  /** PRNG seed (default 1): same seed, same devices, alerts and drift. */
  seed?: number
  /** Epoch milliseconds; default Date.now. Every time the simulator reports comes from it. */
  clock?: () => number
  /** Which server to imitate (default 'release-2025-09-R1'). */
  flavor?: SimFlavor
  /** httpd_uri_prefix, e.g. '/kismet'. */
  prefix?: string
  /**
   * Kismet's GPS, a fixed position like Kismet's own virtual GPS
   * (`gps=virtual:name=fixed,lat=..,lon=..,alt=..`, fixtures gps/): /gps/*.json report it, and
   * seeded devices get locations scattered around it. Default: no GPS, as on most sensors.
   */
  location?: { lat: number; lon: number; alt?: number }
  /** Raise the LOGDISABLED system alert at start and on restart(), like a server started with -n (default false). */
  logDisabledAlert?: boolean
  /** kismet.system.server_name (Kismet's default: "Kismet"); several simulators at once tell themselves apart by it. */
  serverName?: string
  /** Timers of the eventbus's one-second tick (default: real timers, unref'd). Tests pass their ManualClock. */
  timers?: SimTimers
}

export interface SimDevice {
  key: string
  mac: string
  phyname: string
  /** 'Wi-Fi AP' | 'Wi-Fi Client' | 'Wi-Fi Ad-Hoc' | 'Wi-Fi Bridged' | 'Wi-Fi Device' | ... */
  type: string
  name: string
  commonname: string
  manuf: string
  channel: string
  /** kHz */
  frequency: number
  crypt: string
  /** seconds */
  firstTime: number
  lastTime: number
  modTime: number
  packets: number
  dataBytes: number
  /** dBm, 0 = no signal record */
  signal: number
  /** Where the device was heard (the sensor's position then): `location/*` of the record; null: never heard with a fix. */
  location: SimLocation | null
  /**
   * Where its strongest signal was heard (`signal/peak_loc`); null: not with a fix (Kismet's
   * master build then shows [0, 0] with fix 0, even for a device with a location).
   */
  peakLocation: SimLocation | null
  /** Beaconed SSID ('' hidden); null when the device has no beacon record (clients). */
  ssid: string | null
  /** Last probed SSID ('' = wildcard probe); null when the device never probed. */
  probedSsid: string | null
  /** Associated clients (APs). */
  clients: number
  /** The BSSID the device last talked to (an AP's own MAC for an AP); null for none. */
  bssid: string | null
}

export interface SimAlert {
  hash: number
  header: string
  class: string
  severity: number
  /** seconds with microseconds */
  timestamp: number
  text: string
  deviceKey: string
  transmitterMac: string
  sourceMac: string
  destMac: string
  otherMac: string
  channel: string
  /** kHz */
  frequency: number
  phyId: number
}

export type SimFault =
  | { kind: 'garbage' }
  | { kind: 'truncated' }
  | { kind: 'unauthorized' }
  | { kind: 'status'; status: number }
  | { kind: 'huge'; bytes: number }

export interface SimFaultOptions {
  /** Only requests whose path (without prefix and query) matches; default every request. */
  paths?: RegExp
  /** Only this many matching requests; default until cleared. */
  times?: number
}

/** A capture source as /datasource/all_sources.json reports it. */
export interface SimDatasource {
  uuid: string
  name: string
  /** 'wlan0' for a Wi-Fi card */
  interface: string
  /** Kismet driver type: 'linuxwifi' (default) or 'pcapfile' */
  driver: string
  running: boolean
  paused: boolean
  error: boolean
  errorReason: string
  hopping: boolean
  /** The locked channel; Kismet leaves it '' (or stale) while hopping. */
  channel: string
  /** hops per second */
  hopRate: number
  hopChannels: string[]
  numPackets: number
}

export interface SimStats {
  requests: number
  bytesSent: number
  byPath: Record<string, { requests: number; bytes: number }>
  /** Milliseconds spent building and serialising answers (the simulator's own work). */
  cpuMs: number
}

export interface SimRequestLogEntry {
  method: string
  path: string
  status: number
  bytes: number
}
