// Seeded devices look like a real capture: Kismet's key derivation, vendors with the
// manufacturer names Kismet printed, crypt strings it printed, consistent channels and
// frequencies, associated and probing clients, about a third access points.
import t from 'tap'
import { canonicalDeviceKey, deviceKeyForMac } from '../../sim/ids.js'
import { AP_VENDORS, CLIENT_VENDORS, CRYPT_PROFILES, channelFrequencyKhz, manufForMac, UNKNOWN_MANUF } from '../../sim/seed.js'
import { KismetSimulator } from '../../sim/simulator.js'
import { flavorFile, readFixtureJson } from '../support/fixtures.js'

const NOW_MS = 1_795_629_789_000

t.test('device keys: the MAC bytes little-endian in hex, not zero padded', async (t) => {
  t.equal(deviceKeyForMac('00:40:96:AD:74:C7'), '4202770D00000000_C774AD964000')
  t.equal(deviceKeyForMac('DA:16:BE:CF:54:29'), '4202770D00000000_2954CFBE16DA')
  t.equal(deviceKeyForMac('A0:40:A0:EB:89:02'), '4202770D00000000_289EBA040A0', '28 characters when the last byte is < 0x10')
  t.equal(deviceKeyForMac('00:00:00:00:00:00'), '4202770D00000000_0')
  t.equal(canonicalDeviceKey('4202770d00000000_c774ad964000'), '4202770D00000000_C774AD964000')
  t.equal(canonicalDeviceKey('nonsense'), null)
})

t.test('device keys and manufacturers agree with every captured device', async (t) => {
  for (const flavor of ['master', 'release-2025-09-R1'] as const) {
    const list = readFixtureJson(flavorFile(flavor, 'small/devices_views_all_devices.json')) as Array<Record<string, string>>
    const wrongKeys = list.filter((record) => deviceKeyForMac(record['kismet.device.base.macaddr'] ?? '') !== record['kismet.device.base.key'])
    t.same(wrongKeys, [], `${flavor}: every key derives from its MAC`)
    const wrongManuf = list.filter((record) => manufForMac(record['kismet.device.base.macaddr'] ?? '') !== record['kismet.device.base.manuf'])
    t.same(wrongManuf.map((record) => record['kismet.device.base.macaddr']), [], `${flavor}: every manufacturer matches the OUI table`)
  }
})

t.test('a seeded world', async (t) => {
  const sim = new KismetSimulator({ devices: 600, seed: 11, clock: () => NOW_MS })
  const devices = sim.devices()
  const now = NOW_MS / 1000
  t.equal(devices.length, 600)
  t.equal(new Set(devices.map((d) => d.mac)).size, 600, 'unique MACs')
  t.ok(devices.every((d) => d.key === deviceKeyForMac(d.mac)), "Kismet's keys")
  const aps = devices.filter((d) => d.ssid !== null)
  const clients = devices.filter((d) => d.ssid === null)
  t.ok(aps.length >= 180 && aps.length <= 220, `about a third beacon (${aps.length})`)
  t.ok(aps.some((d) => d.ssid === '' && d.commonname === d.mac), 'some hidden networks, named by MAC')
  t.ok(aps.every((d) => CRYPT_PROFILES.some((p) => p.crypt === d.crypt)), 'real crypt strings')
  t.ok(new Set(aps.map((d) => d.crypt)).size >= 5, 'a mix of them')
  t.ok(aps.every((d) => d.bssid === d.mac && AP_VENDORS.some((v) => d.mac.startsWith(v.oui) && v.manuf === d.manuf)), 'APs from router vendors, their own BSSID')
  t.ok(clients.every((d) => d.crypt === ''), 'clients carry no crypt of their own')
  t.ok(clients.every((d) => d.manuf === UNKNOWN_MANUF ? parseInt(d.mac.slice(0, 2), 16) & 2 : CLIENT_VENDORS.some((v) => d.mac.startsWith(v.oui) && v.manuf === d.manuf)), 'known vendors, or randomised (locally administered) MACs as "Unknown"')
  const byMac = new Map(devices.map((d) => [d.mac, d]))
  const associated = clients.filter((d) => d.bssid !== null)
  t.ok(associated.length > clients.length / 2, 'most clients are associated')
  t.ok(associated.every((d) => byMac.get(d.bssid ?? '')?.type === 'Wi-Fi AP'), 'to an access point in the table')
  t.ok(associated.every((d) => d.channel === byMac.get(d.bssid ?? '')?.channel), 'on its channel')
  t.ok(aps.every((ap) => ap.clients === associated.filter((d) => d.bssid === ap.mac).length), 'APs count their clients')
  t.ok(clients.some((d) => d.bssid === null && d.probedSsid !== null && d.probedSsid !== ''), 'probe-only devices asking for networks')
  t.ok(clients.some((d) => d.probedSsid === ''), 'wildcard probes')
  t.ok(devices.every((d) => d.frequency === channelFrequencyKhz(Number(d.channel))), 'frequency (kHz) matches the channel')
  t.ok(devices.some((d) => d.frequency > 5_000_000) && devices.some((d) => d.frequency < 2_500_000), 'both bands')
  t.ok(devices.every((d) => d.firstTime <= d.lastTime && d.lastTime <= now && d.lastTime >= now - 60), 'all heard within the last minute')
  t.ok(devices.every((d) => d.signal <= -20 && d.signal >= -95), 'plausible dBm')
  t.ok(devices.every((d) => d.location === null), 'no GPS unless asked')
  t.same(new KismetSimulator({ devices: 600, seed: 11, clock: () => NOW_MS }).devices(), devices, 'the same seed, the same world')
  t.not(new KismetSimulator({ devices: 600, seed: 12, clock: () => NOW_MS }).devices()[0]?.mac, devices[0]?.mac, 'another seed, another world')
  const gps = new KismetSimulator({ devices: 50, clock: () => NOW_MS, location: { lat: 52.52, lon: 13.405 } }).devices()
  t.ok(gps.filter((d) => d.location !== null).every((d) => Math.abs((d.location?.lat ?? 0) - 52.52) < 0.01 && d.location?.fix === 3), 'GPS positions around the given point')
})
