// `fields` simplification: the fast per-path getters must give exactly what resolving the
// path over the full rendered record gives, for every kind of device in both flavors; and
// the rules Kismet applies (last segment names the key, [path, alias], 0 for what does not
// resolve, whole sub-trees for intermediate paths).
import t from 'tap'
import {
  DeviceFieldWriter,
  FAST_DEVICE_FIELDS,
  fieldName,
  parseFields,
  resolveAll,
  resolvePath,
  simplifyRecord,
} from '../../sim/fields.js'
import { flavorProfile, FLAVORS } from '../../sim/flavor.js'
import { deviceKeyForMac } from '../../sim/ids.js'
import { renderDevice, type DeviceRenderContext } from '../../sim/render-device.js'
import { DeviceStore } from '../../sim/store.js'
import type { SimDevice, SimFlavor } from '../../sim/simulator.js'

const NOW = 1_795_629_789

function device(mac: string, patch: Partial<SimDevice>): SimDevice {
  return {
    key: deviceKeyForMac(mac),
    mac,
    phyname: 'IEEE802.11',
    type: 'Wi-Fi Client',
    name: '',
    commonname: mac,
    manuf: 'Unknown',
    channel: '6',
    frequency: 2_437_000,
    crypt: '',
    firstTime: NOW - 100,
    lastTime: NOW - 2,
    modTime: NOW - 2,
    packets: 120,
    dataBytes: 0,
    signal: -60,
    location: null,
    peakLocation: null,
    ssid: null,
    probedSsid: null,
    clients: 0,
    bssid: null,
    ...patch,
  }
}

/** One device of every shape the renderer distinguishes. */
function variety(): SimDevice[] {
  return [
    device('00:40:96:AD:74:C7', { type: 'Wi-Fi AP', name: 'Hotel-Lobby', commonname: 'Hotel-Lobby', ssid: 'Hotel-Lobby', crypt: 'Open', bssid: '00:40:96:AD:74:C7', clients: 2 }),
    device('C4:04:15:CB:54:A6', { type: 'Wi-Fi AP', ssid: '', crypt: 'WPA2 WPA2-PSK AES-CCMP', bssid: 'C4:04:15:CB:54:A6' }),
    device('F0:9F:C2:20:32:88', { type: 'Wi-Fi Ad-Hoc', name: 'Pixel_8812', commonname: 'Pixel_8812', ssid: 'Pixel_8812', crypt: 'WPA3 WPA3-SAE AES-CCMP', bssid: 'F0:9F:C2:20:32:88' }),
    device('24:0A:C4:79:B8:BE', { type: 'Wi-Fi Client', bssid: '00:40:96:AD:74:C7', probedSsid: 'Hotel-Lobby', dataBytes: 16_475 }),
    device('DA:16:BE:CF:54:29', { type: 'Wi-Fi Client', probedSsid: 'MyHotspot' }),
    device('26:3A:37:4D:03:FE', { type: 'Wi-Fi Client', probedSsid: '' }),
    device('5C:41:5A:A5:45:40', { type: 'Wi-Fi Ad-Hoc', bssid: '00:40:96:AD:74:C7', probedSsid: 'eduroam' }),
    device('B8:27:EB:00:00:01', { type: 'Wi-Fi Bridged', bssid: '00:40:96:AD:74:C7' }),
    device('DC:A6:32:00:00:02', { type: 'Wi-Fi Device', signal: 0 }),
    device('64:B9:4E:0F:34:57', { type: 'Wi-Fi Client', location: { lat: 52.52, lon: 13.405, alt: 34, fix: 3 }, bssid: '00:40:96:AD:74:C7' }),
  ]
}

function setup(flavor: SimFlavor): { store: DeviceStore; ctx: DeviceRenderContext } {
  const store = new DeviceStore()
  for (const d of variety()) store.add(d)
  const profile = flavorProfile(flavor)
  const ctx: DeviceRenderContext = {
    profile,
    serverUuid: '8574AA6C-E8F9-11F1-8C99-4B49534D4554',
    seenByUuid: '4E1D07C3-0000-0000-0000-0000F7F20D81',
    seenBySource: () => profile.templates.datasource,
    clientsOf: (mac) => [...store.clientsOf(mac)].map((key) => [store.get(key)?.device.mac ?? '', key]),
  }
  return { store, ctx }
}

for (const flavor of FLAVORS) {
  t.test(`${flavor}: every fast path answers what the full record answers`, async (t) => {
    const { store, ctx } = setup(flavor)
    const differences: string[] = []
    for (const entry of store.entries()) {
      const full = renderDevice(entry, ctx)
      for (const [path, getter] of FAST_DEVICE_FIELDS) {
        const fast = getter(entry, ctx)
        const slow = resolvePath(full, path)
        if (JSON.stringify(fast) !== JSON.stringify(slow)) differences.push(`${entry.device.mac} ${path}: fast ${JSON.stringify(fast)} vs full ${JSON.stringify(slow)}`)
      }
    }
    t.same(differences, [])
  })

  t.test(`${flavor}: optional sub-records come back as 0 through fields`, async (t) => {
    const { store, ctx } = setup(flavor)
    const writer = new DeviceFieldWriter(
      [
        ['kismet.device.base.signal/kismet.common.signal.last_signal', 'signal.last'],
        ['kismet.device.base.location/kismet.common.location.avg_loc', 'location.avg'],
        ['dot11.device/dot11.device.last_beaconed_ssid_record/dot11.advertisedssid.ssid', 'dot11.ssid'],
        ['dot11.device/dot11.device.last_probed_ssid_record/dot11.probedssid.ssid', 'dot11.probed_ssid'],
        ['dot11.device/dot11.device.last_bssid', 'dot11.bssid'],
      ],
      ctx,
    )
    const byMac = new Map([...store.entries()].map((entry) => [entry.device.mac, writer.object(entry)]))
    t.same(byMac.get('DC:A6:32:00:00:02'), { 'signal.last': 0, 'location.avg': 0, 'dot11.ssid': 0, 'dot11.probed_ssid': 0, 'dot11.bssid': '00:00:00:00:00:00' }, 'no signal, GPS, SSID, probe or BSSID')
    t.same(byMac.get('00:40:96:AD:74:C7')?.['dot11.bssid'], '00:40:96:AD:74:C7', "an AP's last BSSID is its own MAC")
    t.equal(byMac.get('C4:04:15:CB:54:A6')?.['dot11.ssid'], '', 'a hidden AP beacons the empty SSID')
    t.equal(byMac.get('26:3A:37:4D:03:FE')?.['dot11.probed_ssid'], '', 'a wildcard probe is the empty SSID')
    t.same(byMac.get('64:B9:4E:0F:34:57')?.['location.avg'], {
      'kismet.common.location.geopoint': [13.405, 52.52],
      'kismet.common.location.alt': 34,
      'kismet.common.location.fix': 3,
      'kismet.common.location.time_sec': NOW - 2,
      'kismet.common.location.time_usec': 0,
    }, 'a location triplet with geopoint [lon, lat]')
  })

  t.test(`${flavor}: a device without GPS has Kismet's location shape`, async (t) => {
    const { store, ctx } = setup(flavor)
    const entry = store.get(deviceKeyForMac('DA:16:BE:CF:54:29'))
    if (!entry) throw new Error('missing device')
    const full = renderDevice(entry, ctx)
    if (flavor === 'master') t.same(full['kismet.device.base.location'], { 'kismet.common.location.loc_fix': 0 })
    else t.notOk('kismet.device.base.location' in full, 'the release leaves the key out')
  })
}

t.test('the JSON writer and the object writer agree; keys deduplicate like a JSON object', async (t) => {
  const { store, ctx } = setup('release-2025-09-R1')
  const fields = ['kismet.device.base.macaddr', ['kismet.device.base.name', 'x'], ['kismet.device.base.type', 'x'], 'kismet.device.base.signal', 'dot11.device/dot11.device.num_client_aps', 'no.such.field'] as const
  const writer = new DeviceFieldWriter(fields, ctx)
  for (const entry of store.entries()) {
    const object = writer.object(entry)
    t.same(JSON.parse(writer.json(entry)), object)
    t.same(Object.keys(object), ['kismet.device.base.macaddr', 'x', 'kismet.device.base.signal', 'dot11.device.num_client_aps', 'no.such.field'])
    t.equal(object['x'], entry.device.type, 'the later of two equal names wins, in the first one’s place')
    t.equal(object['no.such.field'], 0, 'an unknown field is the number 0')
  }
  const ap = store.get(deviceKeyForMac('00:40:96:AD:74:C7'))
  if (!ap) throw new Error('missing AP')
  const signal = writer.object(ap)['kismet.device.base.signal'] as Record<string, unknown>
  t.equal(signal['kismet.common.signal.last_signal'], -60, 'an intermediate path gives the whole sub-tree')
  t.equal(writer.needsFullRecord, true)
  t.equal(new DeviceFieldWriter(['kismet.device.base.key', 'kismet.device.base.last_time'], ctx).needsFullRecord, false, 'common paths never build the full record')
})

t.test('fields lists: accepted shapes and the ones Kismet refuses', async (t) => {
  t.same(parseFields(null), { ok: true, fields: null })
  t.same(parseFields({ regex: [] }), { ok: true, fields: null })
  t.same(parseFields({ fields: ['a', ['b/c', 'd'], ['e']] }), { ok: true, fields: ['a', ['b/c', 'd'], 'e'] })
  t.equal(parseFields({ fields: 'a' }).ok, false)
  t.equal(parseFields({ fields: [1] }).ok, false)
  t.equal(parseFields({ fields: [['a', 'b', 'c']] }).ok, false)
  t.equal(fieldName('dot11.device/dot11.device.last_bssid'), 'dot11.device.last_bssid')
  t.equal(fieldName(['a/b', 'alias']), 'alias')
})

t.test('path resolution never splits on dots, and expands arrays only for regex', async (t) => {
  const record = { 'a.b': { 'c.d': 1 }, list: [{ s: 'x' }, { s: 'y' }], zero: 0 }
  t.equal(resolvePath(record, 'a.b/c.d'), 1)
  t.equal(resolvePath(record, 'a/b'), 0)
  t.equal(resolvePath(record, 'list/s'), 0, 'fields do not reach through arrays')
  t.same(resolveAll(record, 'list/s'), ['x', 'y'])
  t.same(simplifyRecord(record, ['a.b/c.d', ['zero', 'z'], 'missing']), { 'c.d': 1, z: 0, missing: 0 })
})
