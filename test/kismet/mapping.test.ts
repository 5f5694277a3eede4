// Mapping of Kismet records to WifiDevice / Alert (SPEC 3), tested on the REAL responses
// captured from Kismet master and from the 2025-09-R1 release (kismet-fixtures), then on
// hand-made records for the edge cases the captures do not contain.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { AlertSchema, WifiDeviceSchema, type Alert, type WifiDevice } from '../../src/events.js'
import { simplifyRecord, resolvePath } from '../../sim/fields.js'
import type { JsonValue } from '../../sim/json.js'
import { bestLocation, MappingError, parseChannel, toAlert, toWifiDevice } from '../../src/kismet/mapping.js'
import { DEVICE_FIELDS } from '../../src/kismet/wire.js'
import { fixturesRoot } from '../support/fixtures.js'

const FIXTURES = fixturesRoot

const BUILDS = [
  { name: 'master', dir: '', types: { AP: 30, 'Ad-Hoc': 22, Client: 80 } },
  { name: '2025-09-R1', dir: 'release-2025-09-R1/', types: { AP: 31, 'Ad-Hoc': 23, Client: 78 } },
] as const

type Json = Record<string, unknown>
const MAC_UPPER = /^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$/

function load(file: string): unknown {
  return JSON.parse(readFileSync(resolve(FIXTURES, file), 'utf8')) as unknown
}
const str = (record: unknown, path: string): unknown => resolvePath(record as JsonValue, path)

/** A full fixture record -> the record Kismet answers to our DEVICE_FIELDS request. */
const asRequested = (full: unknown): Json => simplifyRecord(full as JsonValue, DEVICE_FIELDS)

/** A minimal DEVICE_FIELDS record (what Kismet answers for a bare AP), for the edge cases. */
function record(overrides: Json = {}): Json {
  return {
    'kismet.device.base.key': '4202770D00000000_C774AD964000',
    'kismet.device.base.macaddr': '00:40:96:ad:74:c7',
    'kismet.device.base.commonname': 'Hotel-Lobby',
    'kismet.device.base.type': 'Wi-Fi AP',
    'kismet.device.base.phyname': 'IEEE802.11',
    'kismet.device.base.manuf': 'Cisco Systems, Inc',
    'kismet.device.base.channel': '6',
    'kismet.device.base.frequency': 2437000,
    'kismet.device.base.crypt': 'WPA2 WPA2-PSK AES-CCMP',
    'kismet.device.base.first_time': 1795629657,
    'kismet.device.base.last_time': 1795629789,
    'kismet.device.base.packets.total': 145,
    'kismet.device.base.datasize': 2048,
    'signal.last': -36,
    'location.avg': 0,
    'dot11.ssid': 'Hotel-Lobby',
    'dot11.probed_ssid': 0,
    'dot11.clients': 3,
    'dot11.bssid': '00:40:96:AD:74:C7',
    ...overrides,
  }
}

function alertRecord(overrides: Json = {}): Json {
  return {
    'kismet.alert.device_key': '00_0',
    'kismet.alert.header': 'APSPOOF',
    'kismet.alert.class': 'SPOOF',
    'kismet.alert.hash': 2821723790,
    'kismet.alert.severity': 15,
    'kismet.alert.phy_id': 0,
    'kismet.alert.timestamp': 1795630048.304127,
    'kismet.alert.transmitter_mac': '66:77:88:0D:50:B3',
    'kismet.alert.source_mac': '66:77:88:0D:50:B4',
    'kismet.alert.dest_mac': 'FF:FF:FF:FF:FF:FF',
    'kismet.alert.other_mac': '00:00:00:00:00:00',
    'kismet.alert.channel': '6',
    'kismet.alert.frequency': 2437000,
    'kismet.alert.text': 'Unauthorized device advertising SSID',
    'kismet.alert.location': { 'kismet.common.location.geopoint': [0, 0] },
    ...overrides,
  }
}

function throwsMapping(t: Tap, fn: () => unknown, field: string, what: string): void {
  try {
    fn()
    t.fail(`${what}: expected a MappingError`)
  } catch (error) {
    t.ok(error instanceof MappingError, `${what}: MappingError`)
    t.equal((error as MappingError).field, field, `${what}: names ${field}`)
  }
}
/** The assertions the helper needs (any tap test object has them). */
interface Tap {
  fail(message: string): unknown
  ok(value: unknown, message: string): unknown
  equal(found: unknown, wanted: unknown, message: string): unknown
}

// ---------------------------------------------------------------------------------------
// Devices: real records of both builds

t.test('devices: every device of both builds maps, with the invariants the fixtures show', async (t) => {
  for (const build of BUILDS) {
    await t.test(build.name, async (t) => {
      const full = load(`${build.dir}small/devices_views_all_devices.json`) as Json[]
      t.equal(full.length, 132, 'the small scenario has 132 devices')
      const devices: WifiDevice[] = full.map((r) => toWifiDevice(asRequested(r)))
      t.equal(devices.length, 132)
      t.equal(new Set(devices.map((d) => d.key)).size, 132, 'keys are unique')

      const types: Record<string, number> = {}
      let hidden = 0
      for (const [i, d] of devices.entries()) {
        const r = full[i]!
        t.ok(Value.Check(WifiDeviceSchema, d), `${d.mac} matches the WifiDevice schema`)
        t.equal(d.key, r['kismet.device.base.key'])
        t.match(d.mac, MAC_UPPER)
        t.equal(d.mac, String(r['kismet.device.base.macaddr']).toUpperCase())
        t.equal(d.name, r['kismet.device.base.commonname'])
        types[d.type] = (types[d.type] ?? 0) + 1

        const channel = String(r['kismet.device.base.channel'])
        t.equal(d.channel, Number.parseInt(channel, 10), `${d.mac} channel from "${channel}"`)
        t.ok([1, 6, 11, 36].includes(d.channel!), 'a channel of the scenario')
        t.equal(d.frequency, (r['kismet.device.base.frequency'] as number) / 1000, 'frequency in MHz')
        t.ok([2412, 2437, 2462, 5180].includes(d.frequency!), 'a frequency of the scenario')
        t.equal(d.firstSeen, (r['kismet.device.base.first_time'] as number) * 1000)
        t.equal(d.lastSeen, (r['kismet.device.base.last_time'] as number) * 1000)
        t.ok(d.lastSeen >= d.firstSeen && d.firstSeen > 1.7e12, 'epoch ms')
        t.equal(d.packets, r['kismet.device.base.packets.total'])
        t.equal(d.dataBytes, r['kismet.device.base.datasize'])
        t.equal(d.signal, str(r, 'kismet.device.base.signal/kismet.common.signal.last_signal'))
        t.ok(d.signal === null || (d.signal < 0 && d.signal > -100), 'dBm')
        t.not(d.manufacturer, 'Unknown')
        t.not(d.manufacturer, '')
        const crypt = r['kismet.device.base.crypt']
        t.equal(d.encryption, crypt === '' ? null : crypt)
        t.equal(d.location, null, 'no GPS in the captures')

        const beaconed = str(r, 'dot11.device/dot11.device.last_beaconed_ssid_record/dot11.advertisedssid.ssid')
        const probed = str(r, 'dot11.device/dot11.device.last_probed_ssid_record/dot11.probedssid.ssid')
        if (d.type === 'AP' || d.type === 'Ad-Hoc') {
          t.equal(d.ssid, beaconed === 0 ? null : beaconed, `${d.mac}: beaconed SSID`)
        }
        if (d.type === 'AP') {
          t.type(d.ssid, 'string', 'every AP of the scenario beacons')
          t.equal(d.clients, str(r, 'dot11.device/dot11.device.num_associated_clients'))
          t.notOk('bssid' in d)
        } else {
          t.notOk('clients' in d, 'clients only on APs')
        }
        if (d.ssid === '') hidden++
        if (d.type === 'Client') {
          t.ok(d.ssid === null || (d.ssid !== '' && d.ssid === probed), `${d.mac}: null or the probed SSID`)
          const lastBssid = str(r, 'dot11.device/dot11.device.last_bssid')
          t.equal(d.bssid, lastBssid === 0 || lastBssid === '00:00:00:00:00:00' ? null : lastBssid)
          if (d.bssid !== null) t.match(d.bssid, MAC_UPPER)
        } else {
          t.notOk('bssid' in d, 'bssid only on clients')
        }
      }
      t.same(types, build.types, 'type counts follow Kismet type strings')
      t.equal(hidden, 2, 'the two hidden APs have ssid ""')
      const kismetTypes: Record<string, number> = {}
      for (const r of full) kismetTypes[String(r['kismet.device.base.type'])] = (kismetTypes[String(r['kismet.device.base.type'])] ?? 0) + 1
      t.same(
        { AP: kismetTypes['Wi-Fi AP'], 'Ad-Hoc': kismetTypes['Wi-Fi Ad-Hoc'], Client: kismetTypes['Wi-Fi Client'] },
        types,
        'counts equal the fixture type strings',
      )
      const clientsWithSsid = devices.filter((d) => d.type === 'Client' && d.ssid !== null)
      t.ok(clientsWithSsid.length > 50, 'most clients show what they probed for')
    })
  }
})

t.test('devices: Kismet’s own simplified answers agree with the locally simplified records', async (t) => {
  // The *.fields.json captures used another field list (aliases differ, no datasize, no
  // probed SSID, no location); renamed to our aliases, with Kismet's 0 for what was not asked.
  const rename: Record<string, string> = {
    last_signal: 'signal.last',
    'dot11.advertisedssid.ssid': 'dot11.ssid',
    'dot11.device.num_associated_clients': 'dot11.clients',
    'dot11.device.last_bssid': 'dot11.bssid',
  }
  for (const build of BUILDS) {
    const answered = load(`${build.dir}small/devices_views_all_devices.fields.json`) as Json[]
    const full = new Map((load(`${build.dir}small/devices_views_all_devices.json`) as Json[]).map((r) => [r['kismet.device.base.key'], r]))
    t.equal(answered.length, 132, `${build.name}: 132 simplified records`)
    let compared = 0
    for (const a of answered) {
      const r: Json = { 'kismet.device.base.datasize': 0, 'dot11.probed_ssid': 0, 'location.avg': 0 }
      for (const [k, v] of Object.entries(a)) r[rename[k] ?? k] = v
      const fromKismet = toWifiDevice(r)
      t.ok(Value.Check(WifiDeviceSchema, fromKismet))
      const other = full.get(fromKismet.key)
      if (!other) continue
      const local = toWifiDevice(asRequested(other))
      // Captured at different moments: compare what does not move.
      t.equal(fromKismet.mac, local.mac)
      t.equal(fromKismet.manufacturer, local.manufacturer)
      if (fromKismet.type === 'AP' && local.type === 'AP') t.equal(fromKismet.ssid, local.ssid, `${local.mac} SSID`)
      if (fromKismet.type === 'Client') t.equal(fromKismet.ssid, null, 'not asked for the probed SSID: null')
      compared++
    }
    t.equal(compared, 132, `${build.name}: same devices in both captures`)
  }
  // The one capture made with exactly the same request in both builds.
  for (const build of BUILDS) {
    const r = load(`${build.dir}small/device_by-key_ap.fields.json`) as Json
    t.equal(r['dot11.advertisedssid.ssid'], 'Hotel-Lobby')
  }
})

t.test('devices: named devices map to exact values', async (t) => {
  const ap = toWifiDevice(asRequested(load('small/device_by-key_ap.json')))
  t.strictSame(ap, {
    key: '4202770D00000000_C774AD964000',
    mac: '00:40:96:AD:74:C7',
    phy: 'IEEE802.11',
    name: 'Hotel-Lobby',
    ssid: 'Hotel-Lobby',
    type: 'AP',
    manufacturer: 'Cisco Systems, Inc',
    channel: 6,
    frequency: 2437,
    signal: -36,
    encryption: 'Open',
    firstSeen: 1795629657000,
    lastSeen: 1795629789000,
    packets: 145,
    dataBytes: 0,
    clients: 0,
    location: null,
  })
  t.notOk('bssid' in ap)

  const client = toWifiDevice(asRequested(load('small/device_by-key_client.json')))
  t.strictSame(client, {
    key: '4202770D00000000_2954CFBE16DA',
    mac: 'DA:16:BE:CF:54:29',
    phy: 'IEEE802.11',
    name: 'DA:16:BE:CF:54:29',
    ssid: 'MyHotspot',
    type: 'Client',
    manufacturer: null, // Kismet: "Unknown"
    channel: 1, // Kismet's channel and frequency disagree for this multi-channel device; both are passed as seen
    frequency: 5180,
    signal: -61,
    encryption: null, // Kismet: ""
    firstSeen: 1795629658000,
    lastSeen: 1795629779000,
    packets: 92,
    dataBytes: 0,
    bssid: null, // Kismet: 00:00:00:00:00:00
    location: null,
  })
  t.notOk('clients' in client)

  // The release answers the same devices without the location sub-record at all.
  const releaseAp = load('release-2025-09-R1/small/device_by-key_ap.json') as Json
  t.notOk('kismet.device.base.location' in releaseAp, 'release: no location key')
  t.strictSame(toWifiDevice(asRequested(releaseAp)), {
    ...ap,
    signal: -32,
    firstSeen: 1795633362000,
    lastSeen: 1795633493000,
    packets: 144,
  })
  t.strictSame(toWifiDevice(asRequested(load('release-2025-09-R1/small/device_by-key_client.json'))), {
    ...client,
    channel: 11,
    firstSeen: 1795633363000,
    lastSeen: 1795633484000,
  })

  // A hidden AP whose name Kismet learnt from a probe response: ssid '' (hidden), name kept.
  const all = (load('small/devices_views_all_devices.json') as Json[]).map((r) => toWifiDevice(asRequested(r)))
  const hiddenCorp = all.find((d) => d.mac === 'C4:04:15:54:14:2E')
  t.match(hiddenCorp, { type: 'AP', ssid: '', name: 'HiddenCorp', clients: 1, channel: 6, encryption: 'WPA2 WPA2-PSK AES-CCMP' })
  const hidden = all.find((d) => d.mac === 'C4:04:15:CB:54:A6')
  t.match(hidden, { type: 'AP', ssid: '', name: 'C4:04:15:CB:54:A6' })
  // An Ad-Hoc beaconing device (a phone hotspot) keeps its beaconed SSID.
  t.match(all.find((d) => d.mac === 'F0:9F:C2:34:DE:C1'), { type: 'Ad-Hoc', ssid: 'Pixel_8812', encryption: 'WPA3 WPA3-PSK WPA3-SAE AES-CCMP' })
})

// ---------------------------------------------------------------------------------------
// Devices: edge cases

t.test('devices: hand-made edge cases', async (t) => {
  const base = toWifiDevice(record())
  t.equal(base.mac, '00:40:96:AD:74:C7', 'MAC upper-cased')
  t.equal(base.encryption, 'WPA2 WPA2-PSK AES-CCMP')
  t.equal(base.clients, 3)
  t.equal(base.dataBytes, 2048)

  t.test('channel strings', async (t) => {
    const cases: [unknown, number | null][] = [
      ['6HT40+', 6],
      ['6HT40-', 6],
      ['36', 36],
      ['149VHT80', 149],
      ['11W5', 11],
      ['1', 1],
      ['', null],
      [0, null],
      ['0', null],
      ['unknown', null],
      ['HT40', null],
      [undefined, null],
    ]
    for (const [input, expected] of cases) {
      t.equal(parseChannel(input), expected, `${JSON.stringify(input)} -> ${expected}`)
      if (input !== undefined) t.equal(toWifiDevice(record({ 'kismet.device.base.channel': input })).channel, expected)
    }
  })

  t.test('Kismet zeros for absent sub-records become null', async (t) => {
    const d = toWifiDevice(
      record({
        'kismet.device.base.manuf': 0,
        'kismet.device.base.crypt': 0,
        'kismet.device.base.channel': 0,
        'kismet.device.base.frequency': 0,
        'signal.last': 0,
        'location.avg': 0,
        'dot11.ssid': 0,
        'dot11.clients': 0,
        'kismet.device.base.commonname': 0,
      }),
    )
    t.match(d, { manufacturer: null, encryption: null, channel: null, frequency: null, signal: null, location: null, ssid: null, clients: 0 })
    t.equal(d.name, d.mac, 'no common name: the MAC')
    t.equal(toWifiDevice(record({ 'kismet.device.base.manuf': 'Unknown' })).manufacturer, null)
    t.equal(toWifiDevice(record({ 'kismet.device.base.manuf': '' })).manufacturer, null)
    t.equal(toWifiDevice(record({ 'kismet.device.base.crypt': '' })).encryption, null)
    t.equal(toWifiDevice(record({ 'dot11.ssid': '' })).ssid, '', 'hidden AP')
  })

  t.test('type strings', async (t) => {
    const cases: [unknown, WifiDevice['type']][] = [
      ['Wi-Fi AP', 'AP'],
      ['Wi-Fi Client', 'Client'],
      ['Wi-Fi Bridged', 'Bridged'],
      ['Wi-Fi Ad-Hoc', 'Ad-Hoc'],
      ['Wi-Fi WDS', 'WDS'],
      ['Wi-Fi WDS AP', 'WDS'],
      ['Wi-Fi WDS Device', 'WDS'],
      ['Wi-Fi Device', 'Device'],
      ['Wi-Fi Device (Inferred)', 'Device'],
      ['BTLE', 'Unknown'],
      ['wi-fi ap', 'Unknown'],
      ['', 'Unknown'],
      [0, 'Unknown'],
    ]
    for (const [input, expected] of cases) t.equal(toWifiDevice(record({ 'kismet.device.base.type': input })).type, expected, String(input))
  })

  t.test('client: probed SSID and BSSID', async (t) => {
    const client = (o: Json) => toWifiDevice(record({ 'kismet.device.base.type': 'Wi-Fi Client', 'dot11.ssid': 0, 'dot11.clients': 0, ...o }))
    t.match(client({ 'dot11.probed_ssid': 'MyHotspot', 'dot11.bssid': 'aa:bb:cc:dd:ee:01' }), { ssid: 'MyHotspot', bssid: 'AA:BB:CC:DD:EE:01' })
    t.match(client({ 'dot11.probed_ssid': '', 'dot11.bssid': '00:00:00:00:00:00' }), { ssid: null, bssid: null }, 'wildcard probe: no SSID')
    t.match(client({ 'dot11.probed_ssid': 0, 'dot11.bssid': 0 }), { ssid: null, bssid: null })
    t.notOk('clients' in client({}))
    t.equal(client({ 'dot11.bssid': 'not a mac' }).bssid, null)
    // Other types: whatever SSID Kismet has, beaconed first.
    t.equal(toWifiDevice(record({ 'kismet.device.base.type': 'Wi-Fi Device', 'dot11.ssid': 0, 'dot11.probed_ssid': 'x' })).ssid, 'x')
    t.equal(toWifiDevice(record({ 'kismet.device.base.type': 'Wi-Fi Bridged', 'dot11.ssid': 'y', 'dot11.probed_ssid': 'x' })).ssid, 'y')
  })

  t.test('location triplets', async (t) => {
    const loc = (avg: unknown) => toWifiDevice(record({ 'location.avg': avg })).location
    const p = (geopoint: unknown, more: Json = {}) => ({ 'kismet.common.location.geopoint': geopoint, ...more })
    t.same(loc(p([-122.4194, 37.7749], { 'kismet.common.location.fix': 3, 'kismet.common.location.alt': 16.5 })), {
      lat: 37.7749,
      lon: -122.4194,
      alt: 16.5,
      fix: 3,
    }, 'geopoint is [lon, lat]')
    t.same(loc(p([2.35, 48.85], { 'kismet.common.location.fix': 2 })), { lat: 48.85, lon: 2.35, fix: 2 }, 'no alt key: no alt')
    t.same(loc(p([2.35, 48.85])), { lat: 48.85, lon: 2.35, fix: 2 }, 'no fix key on a real position: taken as 2D')
    t.equal(loc(p([2.35, 48.85], { 'kismet.common.location.fix': 1 })), null, 'fix 1')
    t.equal(loc(p([2.35, 48.85], { 'kismet.common.location.fix': 0 })), null, 'fix 0')
    t.equal(loc(p([0, 0], { 'kismet.common.location.fix': 3, 'kismet.common.location.alt': 0 })), null, '[0,0]')
    t.equal(loc(0), null, 'Kismet 0')
    t.equal(loc({ 'kismet.common.location.loc_fix': 0 }), null, 'master’s empty location object')
    t.equal(loc(p(0)), null, 'geopoint 0')
    throwsMapping(t, () => loc('37.7,-122.4'), 'location.avg', 'a string')
    throwsMapping(t, () => loc(p(['a', 'b'])), 'location.avg.geopoint', 'a geopoint of strings')
    throwsMapping(t, () => loc(p([-122.4])), 'location.avg.geopoint', 'half a geopoint')
    t.equal(loc(p([37.7, -222.4], { 'kismet.common.location.fix': 3 })), null, 'off the globe: no location, the device is kept')
    throwsMapping(t, () => loc(p([2.35, 48.85], { 'kismet.common.location.fix': '3' })), 'kismet.common.location.fix', 'a fix string')
  })

  t.test('strings from the air stay data', async (t) => {
    const ssid = '<img src=x onerror=alert(1)>"\u0000\u202e 📶 \\'
    const d = toWifiDevice(record({ 'dot11.ssid': ssid, 'kismet.device.base.commonname': ssid }))
    t.equal(d.ssid, ssid, 'unchanged')
    t.equal(d.name, ssid)
    t.same(JSON.parse(JSON.stringify(d)), d, 'round-trips through JSON')
  })

  t.test('malformed records throw a MappingError naming the field', async (t) => {
    for (const [value, what] of [
      [null, 'null'],
      [[], 'an array'],
      ['x', 'a string'],
      [0, 'the number 0'],
    ] as const) {
      throwsMapping(t, () => toWifiDevice(value), 'record', what)
    }
    const without = (key: string) => {
      const r = record()
      delete r[key]
      return r
    }
    throwsMapping(t, () => toWifiDevice(without('kismet.device.base.key')), 'kismet.device.base.key', 'no key')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.key': '' })), 'kismet.device.base.key', 'empty key')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.key': 0 })), 'kismet.device.base.key', 'key 0')
    throwsMapping(t, () => toWifiDevice(without('kismet.device.base.macaddr')), 'kismet.device.base.macaddr', 'no MAC')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.macaddr': '00:40:96:AD:74' })), 'kismet.device.base.macaddr', 'short MAC')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.macaddr': 'zz:40:96:AD:74:C7' })), 'kismet.device.base.macaddr', 'not hex')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.first_time': '1795629657' })), 'kismet.device.base.first_time', 'time as string')
    throwsMapping(t, () => toWifiDevice(without('kismet.device.base.last_time')), 'kismet.device.base.last_time', 'no last_time')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.last_time': Number.NaN })), 'kismet.device.base.last_time', 'NaN')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.last_time': -5 })), 'kismet.device.base.last_time', 'negative')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.packets.total': '145' })), 'kismet.device.base.packets.total', 'packets as string')
    throwsMapping(t, () => toWifiDevice(record({ 'signal.last': { x: 1 } })), 'signal.last', 'signal object')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.frequency': '2437' })), 'kismet.device.base.frequency', 'frequency string')
    throwsMapping(t, () => toWifiDevice(record({ 'kismet.device.base.channel': {} })), 'kismet.device.base.channel', 'channel object')
    throwsMapping(t, () => toWifiDevice(record({ 'dot11.ssid': 42 })), 'dot11.ssid', 'ssid number')
    const error = (() => {
      try {
        toWifiDevice(record({ 'kismet.device.base.macaddr': '<secret SSID-ish text>' }))
      } catch (e) {
        return e as MappingError
      }
      return undefined
    })()
    t.ok(error)
    t.notMatch(error!.message, /secret/, 'the message describes, it does not copy the value')
  })
})

// ---------------------------------------------------------------------------------------
// Alerts

const SEVERITY: Record<string, Alert['severity']> = {
  LOGDISABLED: 'high', // 20
  APSPOOF: 'high', // 15
  SSIDCANARY: 'high',
  DEAUTHFLOOD: 'medium', // 10
  BCASTDISCON: 'medium',
  DISCONCODEINVALID: 'high',
  CRYPTODROP: 'high',
  ADVCRYPTCHANGE: 'high',
  LONGSSID: 'high', // 20
  FORMATSTRING: 'high',
  AIRJACKSSID: 'low', // 5
  BEACONRATE: 'high',
  DOT11D: 'high',
  NOCLIENTMFP: 'low', // 5
}

t.test('alerts: every alert of both builds maps', async (t) => {
  const files = [
    { file: 'alerts/alerts_all_alerts.json', count: 15, mfp: 0 },
    { file: 'release-2025-09-R1/alerts/alerts_all_alerts.json', count: 19, mfp: 4 },
    { file: 'small/alerts_all_alerts.json', count: 1, mfp: 0 },
    { file: 'release-2025-09-R1/small/alerts_all_alerts.json', count: 15, mfp: 14 },
    { file: 'alerts/alerts_last-time_abs-float.json', count: -1, mfp: 0 },
  ]
  for (const { file, count, mfp } of files) {
    const records = load(file) as Json[]
    if (count >= 0) t.equal(records.length, count, `${file}: ${count} alerts`)
    const alerts = records.map(toAlert)
    for (const [i, a] of alerts.entries()) {
      const r = records[i]!
      t.ok(Value.Check(AlertSchema, a), `${a.header} matches the Alert schema`)
      t.equal(a.id, String(r['kismet.alert.hash']))
      t.equal(a.timestamp, Math.round((r['kismet.alert.timestamp'] as number) * 1000))
      t.ok(Number.isInteger(a.timestamp) && a.timestamp > 1.7e12, 'epoch ms')
      t.equal(a.severity, SEVERITY[a.header], `${a.header} severity ${r['kismet.alert.severity']} -> ${a.severity}`)
      t.equal(a.message, r['kismet.alert.text'])
      t.equal(a.class, r['kismet.alert.class'])
      t.equal(a.type, 'kismet')
      t.equal(a.read, false)
      t.equal(r['kismet.alert.device_key'], '00_0')
      t.notOk('deviceKey' in a, 'no deviceKey for "00_0"')
      if (a.header === 'LOGDISABLED') t.notOk('mac' in a, 'a system alert has no MAC')
      else if (a.header === 'SSIDCANARY') t.equal(a.mac, r['kismet.alert.source_mac'], 'broadcast transmitter: the source MAC')
      else t.equal(a.mac, r['kismet.alert.transmitter_mac'])
      if (a.mac !== undefined) t.match(a.mac, MAC_UPPER)
    }
    t.equal(alerts.filter((a) => a.header === 'NOCLIENTMFP').length, mfp, `${file}: ${mfp} NOCLIENTMFP`)
    t.equal(new Set(alerts.map((a) => a.id)).size, alerts.length, 'ids unique')
  }

  const mfp = (load('release-2025-09-R1/alerts/alerts_all_alerts.json') as Json[]).find((r) => r['kismet.alert.header'] === 'NOCLIENTMFP')!
  t.equal(mfp['kismet.alert.channel'], '0', 'the release sends channel "0"')
  t.equal(Object.keys(mfp['kismet.alert.location'] as Json).length, 1, 'and the smaller location')
  t.strictSame(toAlert(mfp), {
    id: '352196435',
    type: 'kismet',
    timestamp: 1795633499883,
    severity: 'low',
    message: mfp['kismet.alert.text'],
    header: 'NOCLIENTMFP',
    class: 'SPOOF',
    mac: '50:C7:BF:0C:5A:A6',
    read: false,
  })
  const logDisabled = toAlert((load('alerts/alerts_all_alerts.json') as Json[])[0])
  t.strictSame(logDisabled, {
    id: '2544572308',
    type: 'kismet',
    timestamp: 1795630037618, // 1795630037.617954 s
    severity: 'high',
    message: 'Logging has been disabled via the Kismet config files or the command line.  Pcap, database, and related logs will not be saved.',
    header: 'LOGDISABLED',
    class: 'SYSTEM',
    read: false,
  })

  // The eventbus ALERT payloads are the same records.
  for (const dir of ['', 'release-2025-09-R1/']) {
    const bus = load(`${dir}eventbus/alert_topic.json`) as { received: { message: { ALERT: Json } }[] }
    const alerts = bus.received.map((m) => toAlert(m.message.ALERT))
    t.ok(alerts.length >= 14, `${dir || 'master '}eventbus: ${alerts.length} ALERT events map`)
    // With a field list that leaves out the hash, the record cannot be identified.
    const simplified = load(`${dir}eventbus/alert_topic.fields.json`) as { received: { message: { ALERT: Json } }[] }
    throwsMapping(t, () => toAlert(simplified.received[0]!.message.ALERT), 'kismet.alert.hash', 'no hash')
  }
})

t.test('alerts: hand-made edge cases', async (t) => {
  const sev = (s: unknown) => toAlert(alertRecord({ 'kismet.alert.severity': s })).severity
  t.same(
    [0, 5, 10, 15, 20].map(sev),
    ['low', 'low', 'medium', 'high', 'high'],
    'Kismet 0 and 5 low, 10 medium, 15 and 20 high',
  )
  t.same([-3, 3, 7, 8, 12, 13, 17, 25, 255].map(sev), ['low', 'low', 'low', 'medium', 'medium', 'high', 'high', 'high', 'high'], 'others: nearest bucket')
  const noSeverity = alertRecord()
  delete noSeverity['kismet.alert.severity']
  delete noSeverity['kismet.alert.class']
  t.match(toAlert(noSeverity), { severity: 'low', class: '' }, 'servers before 2021-05 send neither')

  t.equal(toAlert(alertRecord({ 'kismet.alert.timestamp': 1795630037.617954 })).timestamp, 1795630037618)
  t.equal(toAlert(alertRecord({ 'kismet.alert.timestamp': 1795630037.6174 })).timestamp, 1795630037617)
  t.equal(toAlert(alertRecord({ 'kismet.alert.timestamp': 1.59783e9 })).timestamp, 1597830000000, 'the truncated form of issue #292 still parses')

  const key = (k: unknown) => toAlert(alertRecord({ 'kismet.alert.device_key': k })).deviceKey
  t.equal(key('4202770D00000000_C774AD964000'), '4202770D00000000_C774AD964000')
  for (const placeholder of ['', '0', '00_0', 0, undefined]) t.equal(key(placeholder), undefined, `device_key ${JSON.stringify(placeholder)}`)

  const mac = (tx: unknown, src: unknown) => toAlert(alertRecord({ 'kismet.alert.transmitter_mac': tx, 'kismet.alert.source_mac': src })).mac
  t.equal(mac('aa:bb:cc:dd:ee:ff', '11:22:33:44:55:66'), 'AA:BB:CC:DD:EE:FF', 'transmitter first, upper-cased')
  t.equal(mac('00:00:00:00:00:00', '11:22:33:44:55:66'), '11:22:33:44:55:66', 'else the source')
  t.equal(mac('FF:FF:FF:FF:FF:FF', '11:22:33:44:55:66'), '11:22:33:44:55:66', 'broadcast is not a device')
  t.equal(mac('00:00:00:00:00:00', '00:00:00:00:00:00'), undefined, 'none')
  t.equal(mac(undefined, undefined), undefined, 'absent')

  t.equal(toAlert(alertRecord({ 'kismet.alert.hash': '2821723790' })).id, '2821723790', 'a hash sent as a string')
  throwsMapping(t, () => toAlert(null), 'record', 'null')
  throwsMapping(t, () => toAlert([]), 'record', 'array')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.hash': undefined })), 'kismet.alert.hash', 'no hash')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.hash': -1 })), 'kismet.alert.hash', 'negative hash')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.hash': 'abc' })), 'kismet.alert.hash', 'hash not a number')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.timestamp': '1795630037.6' })), 'kismet.alert.timestamp', 'timestamp string')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.timestamp': 0 })), 'kismet.alert.timestamp', 'timestamp 0')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.header': '' })), 'kismet.alert.header', 'no header')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.severity': 'high' })), 'kismet.alert.severity', 'severity string')
  throwsMapping(t, () => toAlert(alertRecord({ 'kismet.alert.text': { html: 1 } })), 'kismet.alert.text', 'text object')

  const text = '<b>SSID "x\u0000"</b> ✓'
  t.equal(toAlert(alertRecord({ 'kismet.alert.text': text })).message, text, 'alert text kept verbatim')
})

t.test('locations from a Kismet with a GPS fix (captures gps/): where the signal peaked, else the average, else the last fix', async (t) => {
  const AT = { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }
  // Aliased as Kismet answered a fields request for every location sub-record and peak_loc.
  const answered = load('gps/devices_last-time_-60.location-fields.json') as Json[]
  t.equal(answered.length, 84)
  const located = answered.filter((r) => r['loc_avg'] !== 0)
  t.equal(located.length, 73, '73 devices were heard with a fix')
  const peakAtZero = located.filter((r) => (r['peak_loc'] as Json)['kismet.common.location.fix'] === 0)
  t.equal(peakAtZero.length, 25, "25 of them have a peak_loc of [0, 0] with fix 0 (their strongest packet came before the fix)")
  for (const r of answered) {
    const best = bestLocation(r['peak_loc'], r['loc_avg'], r['loc_last'])
    t.same(best, r['loc_avg'] === 0 ? null : AT, `${String(r['kismet.device.base.macaddr'])}: ${r['loc_avg'] === 0 ? 'no location (location 0, peak_loc [0, 0] fix 0)' : 'the fixed position'}`)
  }
  // The whole sub-records, as a full record carries them (no fix: location is {loc_fix: 0}).
  for (const r of load('gps/devices_last-time_-60.location-whole.json') as Json[]) {
    const location = r['kismet.device.base.location'] as Json
    const peak = (r['kismet.device.base.signal'] as Json)['kismet.common.signal.peak_loc']
    const best = bestLocation(peak, location['kismet.common.location.avg_loc'], location['kismet.common.location.last'])
    t.same(best, location['kismet.common.location.loc_fix'] === 0 ? null : AT)
  }
  // Full records through our own field list (DEVICE_FIELDS), and both fixture builds without GPS.
  t.same(toWifiDevice(asRequested(load('gps/device_by-key_ap.json'))).location, AT, 'an AP: peak_loc')
  const client = load('gps/device_by-key_client.json') as Json
  t.equal(str(client, 'kismet.device.base.signal/kismet.common.signal.peak_loc/kismet.common.location.fix'), 0, 'this client peaked before the fix')
  t.same(toWifiDevice(asRequested(client)).location, AT, 'so its average is taken')
  t.equal(toWifiDevice(asRequested(load('small/device_by-key_ap.json'))).location, null, 'master without GPS: peak_loc [0, 0] fix 0 and location {loc_fix: 0}')
  t.equal(toWifiDevice(asRequested(load('release-2025-09-R1/small/device_by-key_ap.json'))).location, null, 'release without GPS: neither key')

  // The order of preference, on hand-made triplets.
  const at = (lat: number, lon: number, fix = 3) => ({ 'kismet.common.location.geopoint': [lon, lat], 'kismet.common.location.fix': fix })
  t.same(bestLocation(at(1, 2), at(3, 4), at(5, 6)), { lat: 1, lon: 2, fix: 3 }, 'peak first')
  t.same(bestLocation(at(1, 2, 1), at(3, 4), at(5, 6)), { lat: 3, lon: 4, fix: 3 }, 'a peak without a fix: the average')
  t.same(bestLocation(at(0, 0), 0, at(5, 6, 2)), { lat: 5, lon: 6, fix: 2 }, 'a peak at [0, 0] and no average: the last fix')
  t.equal(bestLocation(0, 0, 0), null, 'nothing')
  t.equal(bestLocation(undefined, undefined, undefined), null, 'not asked')
  throwsMapping(t, () => bestLocation('here', 0, 0), 'location.peak', 'a peak that is not a location')
})
