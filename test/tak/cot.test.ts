// The CoT builder: golden events for an access point, a client, the sensor, a delete and the
// keepalive; each parsed back by a real XML parser and held against the base-event rules;
// uids from PHY and MAC only; and text from the air fuzzed: whatever an SSID or a
// manufacturer holds, the event stays exactly one well-formed <event> with exactly our
// elements, every value escaped exactly once, forbidden characters removed, lengths capped.
import t from 'tap'
import type { WifiDevice } from '../../src/events.js'
import { callsignOf, deleteEvent, deviceEvent, MAX_CALLSIGN_CHARS, MAX_REMARKS_CHARS, pingEvent, sensorEvent } from '../../src/tak/cot.js'
import { deviceUid, sensorUid } from '../../src/tak/uid.js'
import { Prng } from '../../sim/prng.js'
import { cotProblems, parseCot } from '../support/cot.js'
import { makeDevice } from '../support/devices.js'

const NOW = Date.UTC(2026, 11, 1, 8, 30, 27, 914)
const AT = { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }

const ap: WifiDevice = {
  ...makeDevice(1),
  mac: '00:40:96:AD:74:C7',
  name: 'Hotel-Lobby',
  ssid: 'Hotel-Lobby',
  manufacturer: 'Cisco Systems, Inc',
  encryption: 'Open',
  signal: -36,
  channel: 6,
  frequency: 2437,
  firstSeen: NOW - 132_000,
  lastSeen: NOW - 2_000,
  location: AT,
}
const client: WifiDevice = {
  ...makeDevice(2),
  type: 'Client',
  mac: 'F0:18:98:A6:C8:4F',
  name: 'F0:18:98:A6:C8:4F',
  ssid: 'Starbucks WiFi',
  manufacturer: 'Apple, Inc.',
  encryption: null,
  signal: -48,
  channel: 36,
  frequency: 5180,
  bssid: '24:A4:3C:AA:D8:61',
  firstSeen: NOW - 60_000,
  lastSeen: NOW - 1_000,
  location: AT,
}
delete client.clients

const GOLDEN = {
  ap: '<event version="2.0" uid="kismet-wifi-004096AD74C7" type="a-u-G" how="m-f" time="2026-12-01T08:30:27.914Z" start="2026-12-01T08:30:27.914Z" stale="2026-12-01T08:35:25.914Z"><point lat="38.8895" lon="-77.0353" hae="9999999" ce="50" le="9999999"/><detail><contact callsign="Hotel-Lobby"/><remarks>MAC 00:40:96:AD:74:C7 · AP · SSID Hotel-Lobby · ch 6 (2437 MHz) · Open · -36 dBm · Cisco Systems, Inc · first 2026-12-01T08:28:15Z · last 2026-12-01T08:30:25Z · sensor default</remarks></detail></event>',
  client: '<event version="2.0" uid="kismet-north-wifi-F01898A6C84F" type="a-u-G" how="m-f" time="2026-12-01T08:30:27.914Z" start="2026-12-01T08:30:27.914Z" stale="2026-12-01T08:35:26.914Z"><point lat="38.8895" lon="-77.0353" hae="9999999" ce="50" le="9999999"/><detail><contact callsign="Apple, Inc. A6:C8:4F"/><remarks>MAC F0:18:98:A6:C8:4F · Client · probes Starbucks WiFi · ch 36 (5180 MHz) · -48 dBm · Apple, Inc. · first 2026-12-01T08:29:27Z · last 2026-12-01T08:30:26Z · sensor north</remarks></detail></event>',
  sensor: '<event version="2.0" uid="kismet-sensor-north" type="a-f-G-E-S" how="m-g" time="2026-12-01T08:30:27.914Z" start="2026-12-01T08:30:27.914Z" stale="2026-12-01T08:35:27.914Z"><point lat="38.8895" lon="-77.0353" hae="9999999" ce="10" le="9999999"/><detail><contact callsign="Kismet north"/><remarks>Kismet sensor north · GPS 3D fix · alt 20 m · kismet-ws</remarks></detail></event>',
  delete: '<event version="2.0" uid="kismet-wifi-004096AD74C7" type="t-x-d-d" how="m-f" time="2026-12-01T08:30:27.914Z" start="2026-12-01T08:30:27.914Z" stale="2026-12-01T08:30:47.914Z"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/><detail><link uid="kismet-wifi-004096AD74C7" relation="none" type="none"/><__forcedelete/></detail></event>',
  ping: '<event version="2.0" uid="kismet-ping" type="t-x-c-t" how="h-g-i-g-o" time="2026-12-01T08:30:27.914Z" start="2026-12-01T08:30:27.914Z" stale="2026-12-01T08:30:47.914Z"><point lat="0" lon="0" hae="9999999" ce="9999999" le="9999999"/></event>',
}

function apEvent(device: WifiDevice, sensor = 'default'): string {
  return deviceEvent({ uid: deviceUid('kismet', device.phy, device.mac), type: 'a-u-G', device, location: device.location ?? AT, sensor, now: NOW, staleAt: device.lastSeen + 300_000 })
}

t.test('golden events: an access point, a client, the sensor, a delete, the keepalive', async (t) => {
  const events = {
    ap: apEvent(ap),
    client: deviceEvent({ uid: deviceUid('kismet', client.phy, client.mac, 'north'), type: 'a-u-G', device: client, location: AT, sensor: 'north', now: NOW, staleAt: client.lastSeen + 300_000 }),
    sensor: sensorEvent({ uid: sensorUid('kismet', 'north'), type: 'a-f-G-E-S', sensor: 'north', position: AT, now: NOW, staleAt: NOW + 300_000 }),
    delete: deleteEvent('kismet-wifi-004096AD74C7', NOW),
    ping: pingEvent('kismet-ping', NOW),
  }
  for (const [name, xml] of Object.entries(events)) {
    t.equal(xml, GOLDEN[name as keyof typeof GOLDEN], `${name}: exactly the golden event`)
    t.same(cotProblems(xml), [], `${name}: a valid CoT base event`)
  }
  const parsed = parseCot(events.ap)
  t.same([parsed.point['lat'], parsed.point['lon']], ['38.8895', '-77.0353'], "Kismet's [lon, lat] placed as lat, lon")
  t.equal(Date.parse(parsed.event['stale']!), ap.lastSeen + 300_000, 'stale = last heard + TAK_STALE_S')
  t.equal(parsed.event['time'], parsed.event['start'], 'time = start = now')
  t.same(parsed.detailNames, ['contact', 'remarks'], 'no __group, archive, takv or endpoint: a detection, not a team member')
  t.same(parseCot(events.delete).detailNames, ['link', '__forcedelete'])
})

t.test('uids come from the PHY and the MAC, never from a name', async (t) => {
  const renamed = { ...ap, name: 'Other', ssid: 'Other' }
  t.equal(deviceUid('kismet', renamed.phy, renamed.mac), deviceUid('kismet', ap.phy, ap.mac), 'a new SSID keeps the uid')
  t.equal(deviceUid('kismet', 'IEEE802.11', 'aa-bb-cc-dd-ee-ff'), 'kismet-wifi-AABBCCDDEEFF')
  t.equal(deviceUid('kismet', 'Bluetooth', 'AA:BB:CC:DD:EE:FF'), 'kismet-bt-AABBCCDDEEFF', 'the same MAC on another PHY is another emitter')
  t.equal(deviceUid('kismet', 'RTL433', 'AA:BB:CC:DD:EE:FF'), 'kismet-rtl433-AABBCCDDEEFF')
  t.equal(deviceUid('team1', 'IEEE802.11', 'AA:BB:CC:DD:EE:FF', 'north'), 'team1-north-wifi-AABBCCDDEEFF', 'optionally per sensor')
  t.equal(sensorUid('kismet', 'north'), 'kismet-sensor-north')
})

t.test('callsign: an SSID, else the manufacturer and the MAC tail, else the MAC', async (t) => {
  t.equal(callsignOf(ap), 'Hotel-Lobby')
  t.equal(callsignOf({ ...ap, ssid: '' }), 'Cisco Systems, Inc AD:74:C7', 'a hidden SSID')
  t.equal(callsignOf({ ...ap, ssid: '', manufacturer: null }), '00:40:96:AD:74:C7')
  t.equal(callsignOf(client), 'Apple, Inc. A6:C8:4F', 'a client is not named after a network it probed for')
  const long = callsignOf({ ...ap, ssid: '', manufacturer: 'TP-LINK TECHNOLOGIES CO.,LTD. AND SOME MORE WORDS' })
  t.ok(long.endsWith(' AD:74:C7') && Array.from(long).length <= MAX_CALLSIGN_CHARS, `a long manufacturer is cut, the MAC tail kept: ${long}`)
})

/** The printable, the markup, the forbidden and the exotic: what an SSID may hold. */
const POOL = [
  ...'abcXYZ019 -_.',
  '<', '>', '&', '"', "'", ';', '#', '/', '=', ']]>', '<!--', '-->', '<event>', '</event>', '<detail>', '&amp;', '&lt;', '&#x41;', '<![CDATA[',
  '\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u000B', '\u000C', '\u001F', '\u007F', '\u0085', '\u009F',
  '\uD800', '\uDFFF', '\uDBFF', '\u{1F4F6}', '\u{1F600}', '\uFFFE', '\uFFFF', '\uFEFF', '\u202E', '\u200B', 'é', '中', '\u0301',
]
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/gu

function randomText(prng: Prng): string {
  const length = prng.chance(0.1) ? prng.int(100, 400) : prng.int(0, 40)
  let out = ''
  for (let i = 0; i < length; i++) out += prng.pick(POOL)
  return out
}

/** What the builder must make of a label, computed here independently. */
function expectedLabel(value: string, max: number): string {
  const clean = value.replace(FORBIDDEN, '').replace(/[\t\n\r]/g, ' ')
  const chars = Array.from(clean)
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`
}

t.test('fuzz: any SSID and manufacturer bytes give exactly one well-formed <event>, escaped once', async (t) => {
  const prng = new Prng(13)
  const failures: string[] = []
  let roundTrips = 0
  for (let i = 0; i < 3000 && failures.length < 5; i++) {
    const ssid = randomText(prng)
    const manufacturer = prng.chance(0.5) ? randomText(prng) : null
    const type = prng.chance(0.8) ? ('AP' as const) : ('Client' as const)
    const device: WifiDevice = { ...ap, type, ssid, manufacturer, encryption: prng.chance(0.3) ? randomText(prng) : 'WPA2' }
    const xml = apEvent(device, prng.pick(['default', 'north', 'a-b_c']))
    const problems = cotProblems(xml)
    // Markup from the air is data: our eight tags and no other '<' at all.
    const tags = (xml.match(/</g) ?? []).length
    if (tags !== 8) problems.push(`${tags} '<' instead of 8`)
    if (problems.length === 0) {
      const parsed = parseCot(xml)
      const callsign = (parsed.detail['contact'] as Record<string, string>)['callsign'] ?? ''
      const remarks = String(parsed.detail['remarks'] ?? '')
      if (JSON.stringify(parsed.detailNames) !== '["contact","remarks"]') problems.push(`detail holds ${parsed.detailNames.join(',')}`)
      if (Array.from(callsign).length > MAX_CALLSIGN_CHARS) problems.push('callsign too long')
      if (Array.from(remarks).length > MAX_REMARKS_CHARS) problems.push('remarks too long')
      // An AP's SSID is its label and is in its remarks: read back, exactly as sent, only cleaned and capped (so escaped once).
      const inRemarks = expectedLabel(ssid, 64)
      const label = expectedLabel(inRemarks.trim(), MAX_CALLSIGN_CHARS)
      if (type === 'AP' && label !== '') {
        if (callsign !== label) problems.push(`callsign ${JSON.stringify(callsign)} instead of ${JSON.stringify(label)}`)
        else if (!remarks.includes(`SSID ${inRemarks}`)) problems.push(`the remarks do not hold the SSID as sent: ${JSON.stringify(remarks)}`)
        else roundTrips++
      }
    }
    if (problems.length > 0) failures.push(`${JSON.stringify(ssid)} / ${JSON.stringify(manufacturer)}: ${problems.join('; ')}`)
  }
  t.same(failures, [], 'every event valid')
  t.ok(roundTrips > 1500, `${roundTrips} SSIDs read back exactly as sent (cleaned and capped), in the label and the remarks`)
})

t.test('escaping happens exactly once, for attributes and text alike', async (t) => {
  const xml = apEvent({ ...ap, ssid: `a&amp;b<c>"d'` })
  const parsed = parseCot(xml)
  t.equal((parsed.detail['contact'] as Record<string, string>)['callsign'], `a&amp;b<c>"d'`, 'the callsign reads back as the SSID')
  t.match(String(parsed.detail['remarks']), `SSID a&amp;b<c>"d'`, 'so does the SSID in the remarks')
  t.match(xml, 'callsign="a&amp;amp;b&lt;c&gt;&quot;d&apos;"')
  t.match(xml, 'SSID a&amp;amp;b&lt;c&gt;"d\'')
})

t.test('positions: decimals without an exponent (CoT lat/lon are xs:decimal)', async (t) => {
  const tiny = deviceEvent({ uid: 'u', type: 'a-u-G', device: ap, location: { lat: 0.0000001, lon: -0.00000004, fix: 3 }, sensor: 'default', now: NOW, staleAt: NOW + 1000 })
  t.same(cotProblems(tiny), [])
  t.match(tiny, '<point lat="0.0000001" lon="0" ')
})
