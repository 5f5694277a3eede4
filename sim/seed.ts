// Realistic Wi-Fi ground truth: vendors, SSIDs, crypt strings and channels taken from the
// real captures in test/fixtures/kismet (MAC prefixes with the manufacturer names Kismet
// printed for them, the crypt strings it printed, the SSIDs of the capture scenarios).
import { deviceKeyForMac, randomMac } from './ids.js'
import type { Prng } from './prng.js'
import type { SimDevice, SimLocation } from './types.js'

interface Vendor {
  oui: string
  manuf: string
}

/** Access point vendors (OUI -> Kismet's manuf string, as in the fixtures). */
export const AP_VENDORS: readonly Vendor[] = [
  { oui: '00:40:96', manuf: 'Cisco Systems, Inc' },
  { oui: '00:1B:67', manuf: 'Cisco Systems Inc' },
  { oui: '00:0B:86', manuf: 'Hewlett Packard Enterprise' },
  { oui: '24:DE:C6', manuf: 'Hewlett Packard Enterprise' },
  { oui: '24:A4:3C', manuf: 'Ubiquiti Inc' },
  { oui: 'F0:9F:C2', manuf: 'Ubiquiti Inc' },
  { oui: 'FC:EC:DA', manuf: 'Ubiquiti Inc' },
  { oui: 'A0:40:A0', manuf: 'NETGEAR' },
  { oui: 'C4:04:15', manuf: 'NETGEAR' },
  { oui: '50:C7:BF', manuf: 'TP-LINK TECHNOLOGIES CO.,LTD.' },
  { oui: 'F4:F2:6D', manuf: 'TP-LINK TECHNOLOGIES CO.,LTD.' },
]

/** Client vendors (phones, laptops, IoT), as in the fixtures. */
export const CLIENT_VENDORS: readonly Vendor[] = [
  { oui: 'F0:18:98', manuf: 'Apple, Inc.' },
  { oui: 'AC:BC:32', manuf: 'Apple, Inc.' },
  { oui: '3C:22:FB', manuf: 'Apple, Inc.' },
  { oui: '00:12:F0', manuf: 'Intel Corporate' },
  { oui: '3C:A9:F4', manuf: 'Intel Corporate' },
  { oui: '00:1A:11', manuf: 'Google, Inc.' },
  { oui: 'F4:F5:D8', manuf: 'Google, Inc.' },
  { oui: '00:1C:62', manuf: 'LG Electronics (Mobile Communications)' },
  { oui: '04:7A:0B', manuf: 'Beijing Xiaomi Electronics Co., Ltd.' },
  { oui: '24:0A:C4', manuf: 'Espressif Inc.' },
  { oui: '30:59:B7', manuf: 'Microsoft' },
  { oui: '5C:41:5A', manuf: 'Amazon.com, LLC' },
  { oui: '64:B9:4E', manuf: 'Dell Technologies' },
  { oui: '8C:F5:A3', manuf: 'SAMSUNG ELECTRO-MECHANICS(THAILAND)' },
  { oui: 'B8:27:EB', manuf: 'Raspberry Pi Foundation' },
  { oui: 'DC:A6:32', manuf: 'Raspberry Pi Trading Ltd' },
]

/** Kismet's manuf for a MAC it has no OUI entry for (randomised phone MACs). */
export const UNKNOWN_MANUF = 'Unknown'

const ALL_VENDORS = [...AP_VENDORS, ...CLIENT_VENDORS]

/** The manufacturer Kismet would print for a MAC, from the fixture OUI table. */
export function manufForMac(mac: string): string {
  const oui = mac.slice(0, 8).toUpperCase()
  return ALL_VENDORS.find((vendor) => vendor.oui === oui)?.manuf ?? UNKNOWN_MANUF
}

/** SSIDs of the capture scenarios (air strings: some carry format characters on purpose). */
export const AP_SSIDS: readonly string[] = [
  'Acme-Corp', 'Acme-Guest', 'BlueBottle-Cafe', 'Casa-Lopez', 'CityHall-Staff', 'CityHall-Visitors',
  'Conference-5G', 'DIRECT-roku-884', 'Dentist-Office', 'FBI Surveillance Van', 'Gym-Members',
  'HOME-3F2A', 'Hotel-Lobby', 'Hotel-Rooms', 'IoT-Cameras', 'Lab-Secure', 'Library-Public',
  'NETGEAR42', 'Pixel_8812', 'Pizza Planet Free WiFi', 'Printer-HP-LaserJet', 'SmithFamily',
  'TP-Link_5G_7A21', 'Warehouse-Scan', 'attwifi', 'eduroam', 'iPhone de Ana', 'linksys',
  'xfinitywifi', 'CorpSecure', 'LegacyAP', 'Free%s%n%pWiFi',
]

/** SSIDs that probe-only devices ask for, from the scenario manifests. */
export const PROBE_SSIDS: readonly string[] = [
  'Airport_Free_WiFi', 'AndroidAP', 'CoffeeShop', 'HOME-1234', 'Hilton Honors', 'Marriott_GUEST',
  'McDonalds Free WiFi', 'MyHotspot', 'OfficeNet', 'Starbucks WiFi', 'TrainWiFi', 'attwifi',
  'eduroam', 'xfinitywifi',
]

/** Kismet's crypt strings and the SSID-record bitfields it printed with them (fixtures). */
export interface CryptProfile {
  crypt: string
  cryptSet: number
  cryptBitfield: number
  mfpRequired: number
  mfpSupported: number
}

export const CRYPT_PROFILES: readonly CryptProfile[] = [
  { crypt: 'Open', cryptSet: 0, cryptBitfield: 0, mfpRequired: 0, mfpSupported: 0 },
  { crypt: 'WPA2 WPA2-PSK AES-CCMP', cryptSet: 268436160, cryptBitfield: 274945016842, mfpRequired: 0, mfpSupported: 0 },
  { crypt: 'WPA2 WPA2-PSK TKIP AES-CCMP', cryptSet: 402653920, cryptBitfield: 274978571790, mfpRequired: 0, mfpSupported: 0 },
  { crypt: 'WPA2 WPA2-EAP AES-CCMP', cryptSet: 268438080, cryptBitfield: 137506063370, mfpRequired: 0, mfpSupported: 1 },
  { crypt: 'WPA3 WPA3-PSK WPA3-SAE AES-CCMP', cryptSet: 805307072, cryptBitfield: 17867131061274, mfpRequired: 0, mfpSupported: 1 },
  { crypt: 'WPA3 WPA3-SAE AES-CCMP', cryptSet: 805306944, cryptBitfield: 17592253154330, mfpRequired: 1, mfpSupported: 1 },
]

const CRYPT_WEIGHTS = [0.18, 0.46, 0.06, 0.1, 0.1, 0.1]

export function cryptProfile(crypt: string): CryptProfile {
  return CRYPT_PROFILES.find((profile) => profile.crypt === crypt) ?? { crypt, cryptSet: 0, cryptBitfield: 0, mfpRequired: 0, mfpSupported: 0 }
}

/** Channel number -> centre frequency in kHz (Kismet's unit). */
export function channelFrequencyKhz(channel: number): number {
  if (channel === 14) return 2_484_000
  if (channel >= 1 && channel <= 13) return (2407 + 5 * channel) * 1000
  return (5000 + 5 * channel) * 1000
}

const CHANNELS_24 = [1, 1, 1, 6, 6, 6, 11, 11, 11, 2, 3, 4, 5, 7, 8, 9, 10]
const CHANNELS_5 = [36, 36, 40, 44, 48, 149, 149, 153, 157, 161]

/** Every channel a dual-band card reports as supported. */
export const SUPPORTED_CHANNELS: readonly string[] = [
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  ...[36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144, 149, 153, 157, 161, 165],
].map(String)

function pickChannel(prng: Prng): number {
  return prng.chance(0.65) ? prng.pick(CHANNELS_24) : prng.pick(CHANNELS_5)
}

function pickWeighted<T>(prng: Prng, items: readonly T[], weights: readonly number[]): T {
  let roll = prng.next() * weights.reduce((sum, weight) => sum + weight, 0)
  for (let i = 0; i < items.length; i++) {
    roll -= weights[i] ?? 0
    if (roll < 0) return items[i] as T
  }
  return items[items.length - 1] as T
}

/** A fresh SSID: a scenario name first, then names shaped like real home and office networks. */
function pickSsid(prng: Prng, used: Set<string>): string {
  for (let attempt = 0; attempt < 4; attempt++) {
    const ssid = prng.pick(AP_SSIDS)
    if (!used.has(ssid)) return ssid
  }
  const shapes = [
    () => `HOME-${prng.hex(4)}`,
    () => `NETGEAR${prng.int(10, 99)}`,
    () => `TP-Link_${prng.hex(4)}`,
    () => `Net-${String(prng.int(0, 9999)).padStart(4, '0')}-Home`,
    () => `${prng.pick(['Cafe', 'Office', 'Guest', 'Clinic', 'Studio', 'Shop'])}-${prng.hex(3)}`,
    () => `DIRECT-${prng.hex(2).toLowerCase()}-${prng.pick(['HP', 'roku', 'Android'])}`,
  ]
  return prng.pick(shapes)()
}

export interface SeedContext {
  prng: Prng
  nowSec: number
  /** MACs already taken (the store's), so every new device gets a fresh one. */
  macTaken: (mac: string) => boolean
  /** GPS centre for seeded locations, or null. */
  gps: { lat: number; lon: number } | null
}

function freshMac(ctx: SeedContext, vendor: Vendor | null, extra: Set<string>): string {
  for (;;) {
    const mac = randomMac(ctx.prng, vendor?.oui ?? null)
    if (!ctx.macTaken(mac) && !extra.has(mac)) {
      extra.add(mac)
      return mac
    }
  }
}

/**
 * Where a seeded device was heard: with a GPS, most devices have a location near it; as in
 * the GPS captures (fixtures gps/), about a third of those heard their strongest packet
 * before the fix (peak_loc [0, 0]), the others where they were heard.
 */
function seedPlace(ctx: SeedContext): { location: SimLocation | null; peakLocation: SimLocation | null } {
  if (ctx.gps === null || !ctx.prng.chance(0.8)) return { location: null, peakLocation: null }
  const round = (value: number): number => Math.round(value * 1e6) / 1e6
  const location = {
    lat: round(ctx.gps.lat + (ctx.prng.next() - 0.5) * 0.01),
    lon: round(ctx.gps.lon + (ctx.prng.next() - 0.5) * 0.01),
    alt: ctx.prng.int(5, 80),
    fix: 3,
  }
  return { location, peakLocation: ctx.prng.chance(0.65) ? { ...location } : null }
}

function seedTimes(ctx: SeedContext): { firstTime: number; lastTime: number } {
  const firstTime = ctx.nowSec - ctx.prng.int(30, 900)
  const lastTime = ctx.nowSec - ctx.prng.int(0, Math.min(60, ctx.nowSec - firstTime))
  return { firstTime, lastTime }
}

/** A realistic access point (or, rarely, an ad-hoc network that beacons). */
export function seedAccessPoint(ctx: SeedContext, macs: Set<string>, ssids: Set<string>): SimDevice {
  const { prng } = ctx
  const vendor = prng.pick(AP_VENDORS)
  const mac = freshMac(ctx, vendor, macs)
  const hidden = prng.chance(0.07)
  const ssid = hidden ? '' : pickSsid(prng, ssids)
  ssids.add(ssid)
  const channel = pickChannel(prng)
  const { firstTime, lastTime } = seedTimes(ctx)
  const packets = (lastTime - firstTime) * prng.int(3, 10) + prng.int(1, 50)
  return {
    key: deviceKeyForMac(mac),
    mac,
    phyname: 'IEEE802.11',
    type: prng.chance(0.05) ? 'Wi-Fi Ad-Hoc' : 'Wi-Fi AP',
    name: ssid,
    commonname: ssid === '' ? mac : ssid,
    manuf: vendor.manuf,
    channel: String(channel),
    frequency: channelFrequencyKhz(channel),
    crypt: pickWeighted(prng, CRYPT_PROFILES, CRYPT_WEIGHTS).crypt,
    firstTime,
    lastTime,
    modTime: lastTime,
    packets,
    dataBytes: prng.chance(0.7) ? prng.int(1_000, 5_000_000) : 0,
    signal: prng.int(-92, -35),
    ...seedPlace(ctx),
    ssid,
    probedSsid: null,
    clients: 0,
    bssid: mac,
  }
}

/**
 * A realistic client: associated to one of `networks` (access points), probe-only, or
 * (rarely) bridged/unclassified.
 */
export function seedClient(ctx: SeedContext, macs: Set<string>, networks: readonly SimDevice[]): SimDevice {
  const { prng } = ctx
  const vendor = prng.chance(0.6) ? prng.pick(CLIENT_VENDORS) : null
  const mac = freshMac(ctx, vendor, macs)
  const roll = prng.next()
  const kind = networks.length === 0 ? (roll < 0.9 ? 'probe' : 'device') : roll < 0.68 ? 'associated' : roll < 0.9 ? 'probe' : roll < 0.95 ? 'bridged' : 'device'
  const ap = kind === 'associated' || kind === 'bridged' ? prng.pick(networks) : null
  const channel = ap ? Number(ap.channel) : pickChannel(prng)
  const { firstTime, lastTime } = seedTimes(ctx)
  const packets = prng.int(5, 2_000)
  let probedSsid: string | null = null
  if (kind === 'associated' && prng.chance(0.8)) probedSsid = ap?.ssid ?? ''
  if (kind === 'probe') probedSsid = prng.chance(0.3) ? '' : prng.pick(PROBE_SSIDS)
  const type = kind === 'bridged' ? 'Wi-Fi Bridged' : kind === 'device' ? 'Wi-Fi Device' : 'Wi-Fi Client'
  return {
    key: deviceKeyForMac(mac),
    mac,
    phyname: 'IEEE802.11',
    type,
    name: '',
    commonname: mac,
    manuf: vendor?.manuf ?? UNKNOWN_MANUF,
    channel: String(channel),
    frequency: channelFrequencyKhz(channel),
    crypt: '',
    firstTime,
    lastTime,
    modTime: lastTime,
    packets,
    dataBytes: ap ? packets * prng.int(80, 1_200) : 0,
    signal: prng.int(-90, -40),
    ...seedPlace(ctx),
    ssid: null,
    probedSsid,
    clients: 0,
    bssid: ap?.mac ?? null,
  }
}

/** `count` devices, about a third of them access points, clients counted onto their APs. */
export function seedDevices(ctx: SeedContext, count: number): SimDevice[] {
  const macs = new Set<string>()
  const ssids = new Set<string>()
  const apCount = count === 0 ? 0 : Math.max(1, Math.round(count / 3))
  const aps: SimDevice[] = []
  for (let i = 0; i < apCount; i++) aps.push(seedAccessPoint(ctx, macs, ssids))
  const networks = aps.filter((ap) => ap.type === 'Wi-Fi AP')
  const clients: SimDevice[] = []
  for (let i = apCount; i < count; i++) clients.push(seedClient(ctx, macs, networks))
  const byMac = new Map(aps.map((ap) => [ap.mac, ap]))
  for (const client of clients) {
    const ap = client.bssid === null ? undefined : byMac.get(client.bssid)
    if (ap) ap.clients++
  }
  // Kismet lists devices in the order it first saw them.
  return [...aps, ...clients].sort((a, b) => a.firstTime - b.firstTime)
}

/** true: an AP-like device (beacons), false: a client-like one, null: not said by `init`. */
function kindOfInit(init: Partial<SimDevice>): boolean | null {
  if (init.ssid === null) return false
  if (init.type !== undefined) return /AP$/.test(init.type) || (init.type === 'Wi-Fi Ad-Hoc' && init.ssid !== undefined)
  if (init.ssid !== undefined) return true
  return null
}

/** A device for addDevice(): `init` wins, everything else realistic and consistent with it. */
export function deviceFromInit(ctx: SeedContext, init: Partial<SimDevice>, networks: readonly SimDevice[]): SimDevice {
  const macs = new Set<string>()
  const wantsAp = kindOfInit(init) ?? ctx.prng.chance(1 / 3)
  const base = wantsAp ? seedAccessPoint(ctx, macs, new Set()) : seedClient(ctx, macs, networks)
  const nowSec = ctx.nowSec
  // A device added now was just heard: times are the clock's, unless given.
  base.firstTime = nowSec
  base.lastTime = nowSec
  base.modTime = nowSec
  base.packets = ctx.prng.int(1, 20)
  base.dataBytes = base.bssid !== null && !wantsAp ? base.packets * ctx.prng.int(80, 1_200) : 0
  if (init.type !== undefined && wantsAp) base.type = init.type
  const device: SimDevice = { ...base, ...init }
  // A device given a location was heard there, strongest packet included, unless told otherwise.
  if (init.location !== undefined && init.peakLocation === undefined) device.peakLocation = init.location === null ? null : { ...init.location }
  if (init.mac !== undefined) {
    device.mac = init.mac.toUpperCase()
    if (init.key === undefined) device.key = deviceKeyForMac(device.mac)
    if (init.manuf === undefined) device.manuf = manufForMac(device.mac)
    if (wantsAp && init.bssid === undefined) device.bssid = device.mac
    if (init.commonname === undefined && device.name === '') device.commonname = device.mac
  }
  if (init.ssid !== undefined && init.ssid !== null && init.name === undefined) device.name = init.ssid
  if (init.commonname === undefined) device.commonname = device.name !== '' ? device.name : device.mac
  if (init.channel !== undefined && init.frequency === undefined && /^\d+/.test(init.channel)) {
    device.frequency = channelFrequencyKhz(parseInt(init.channel, 10))
  }
  if (init.lastTime !== undefined && init.firstTime === undefined) device.firstTime = Math.min(device.firstTime, init.lastTime)
  if (init.lastTime !== undefined && init.modTime === undefined) device.modTime = nowSec
  if (!wantsAp && init.crypt === undefined) device.crypt = ''
  return device
}
