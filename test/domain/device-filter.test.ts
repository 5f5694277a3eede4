// Device filters: what each field selects, the canonical form that lets equal filters share a
// room, the id, and what is refused.
import t from 'tap'
import { bandOf, compileFilter, encryptionClassOf, filterId, isRandomizedMac, parseFilter } from '../../src/device-filter.js'
import type { DeviceFilter, WifiDevice } from '../../src/events.js'
import { deviceWithKey } from '../support/devices.js'

function filter(value: unknown): DeviceFilter {
  const parsed = parseFilter(value)
  if (!parsed.ok || parsed.filter === null) throw new Error(`not a filter: ${JSON.stringify(parsed)}`)
  return parsed.filter
}

const matches = (f: unknown, device: WifiDevice) => compileFilter(filter(f))(device)

t.test('each field, alone', async (t) => {
  const ap = deviceWithKey('k1', { mac: 'A4:B1:C2:00:00:01', ssid: 'Hotel-Lobby', type: 'AP', signal: -60, channel: 6, frequency: 2437, encryption: 'WPA2 WPA2-PSK AES-CCMP' })
  t.ok(matches({ macs: ['a4-b1-c2-00-00-01'] }, ap), 'macs: exact, any case, - or :')
  t.notOk(matches({ macs: ['A4:B1:C2:00:00:02'] }, ap))
  t.ok(matches({ ouis: ['A4:B1:C2'] }, ap), 'ouis: the OUI')
  t.ok(matches({ ouis: ['a4'] }, ap), 'ouis: any prefix of whole octets')
  t.notOk(matches({ ouis: ['A4:B1:C3', 'B4'] }, ap))
  t.ok(matches({ ssid: 'lobby' }, ap), 'ssid: substring, case-insensitive')
  t.notOk(matches({ ssid: 'garage' }, ap))
  t.notOk(matches({ ssid: 'x' }, { ...ap, ssid: null }), 'no SSID never matches')
  t.ok(matches({ types: ['Client', 'AP'] }, ap))
  t.notOk(matches({ types: ['Client'] }, ap))
  t.ok(matches({ minSignal: -60 }, ap), 'minSignal: at least')
  t.notOk(matches({ minSignal: -59 }, ap))
  t.notOk(matches({ minSignal: -100 }, { ...ap, signal: null }), 'no signal never matches')
  t.ok(matches({ bands: ['2.4'] }, ap))
  t.notOk(matches({ bands: ['5', '6'] }, ap))
  t.ok(matches({ bands: ['5'] }, { ...ap, frequency: 5180 }))
  t.ok(matches({ bands: ['6'] }, { ...ap, frequency: 5955 }))
  t.notOk(matches({ bands: ['2.4', '5', '6'] }, { ...ap, frequency: null }), 'no frequency never matches a band')
  t.ok(matches({ channels: [1, 6, 11] }, ap))
  t.notOk(matches({ channels: [36] }, ap))
  t.ok(matches({ encryption: ['wpa2'] }, ap))
  t.notOk(matches({ encryption: ['open', 'wpa3'] }, ap))
  t.notOk(matches({ encryption: ['open'] }, { ...ap, encryption: null }), 'no crypt string is no class')
  t.ok(matches({ randomized: false }, ap), 'A4 is a universally administered MAC')
  t.notOk(matches({ randomized: true }, ap))
  t.ok(matches({ randomized: true }, { ...ap, mac: 'DA:A1:19:00:00:01' }), 'DA has the locally administered bit')
})

t.test('fields combine with AND, a list with OR', async (t) => {
  const ap = deviceWithKey('k1', { mac: 'A4:B1:C2:00:00:01', ssid: 'Cafe', channel: 36, frequency: 5180, signal: -50 })
  t.ok(matches({ bands: ['5'], minSignal: -70, ssid: 'caf' }, ap))
  t.notOk(matches({ bands: ['5'], minSignal: -40, ssid: 'caf' }, ap), 'one field fails: no match')
  t.ok(matches({ channels: [1, 36] }, ap), 'one item of a list is enough')
})

t.test("Kismet's crypt strings, classed", async (t) => {
  // As Kismet's crypt_to_simple_string writes them (and the fixtures show).
  const cases: Array<[string | null, string | null]> = [
    ['Open', 'open'],
    ['WEP', 'wep'],
    ['WEP40', 'wep'],
    ['WEP104', 'wep'],
    ['WPA TKIP', 'wpa'],
    ['WPA1 WPA1-PSK TKIP', 'wpa'],
    ['WPA2 WPA2-PSK AES-CCMP', 'wpa2'],
    ['WPA2 WPA2-PSK TKIP AES-CCMP', 'wpa2'],
    ['WPA2 WPA2-EAP AES-CCMP', 'wpa2'],
    ['WPA3 WPA3-PSK WPA3-SAE AES-CCMP', 'wpa3'],
    ['WPA3 WPA3-SAE AES-CCMP', 'wpa3'],
    ['WPA2-PSK', 'wpa2'],
    ['', null],
    [null, null],
    ['AES-CCMP', null],
  ]
  for (const [crypt, cls] of cases) t.equal(encryptionClassOf(crypt), cls, JSON.stringify(crypt))
  t.equal(bandOf(2412), '2.4')
  t.equal(bandOf(5825), '5')
  t.equal(bandOf(7115), '6')
  t.equal(bandOf(900), null)
  t.equal(isRandomizedMac('02:00:00:00:00:01'), true)
  t.equal(isRandomizedMac('00:11:22:33:44:55'), false)
})

t.test('the canonical form: equal selections are equal filters, with one id', async (t) => {
  const a = filter({ ouis: ['a4:b1:c2', 'A4-B1-C2'], types: ['Client', 'AP'], ssid: 'Lobby', channels: [11, 1, 6, 1] })
  const b = filter({ channels: [1, 6, 11], ssid: 'LOBBY', types: ['AP', 'Client'], ouis: ['A4:B1:C2'] })
  t.same(a, { ouis: ['A4:B1:C2'], ssid: 'lobby', types: ['AP', 'Client'], channels: [1, 6, 11] })
  t.equal(JSON.stringify(a), JSON.stringify(b), 'same canonical JSON')
  t.equal(filterId(a), filterId(b))
  t.match(filterId(a), /^[0-9a-f]{16}$/)
  t.not(filterId(a), filterId(filter({ ssid: 'lobby' })))
  t.same(parseFilter({}), { ok: true, filter: null }, 'an empty filter is no filter')
})

t.test('a bad filter is refused whole, saying where', async (t) => {
  const bad: Array<[string, unknown]> = [
    ['not an object', 'AP'],
    ['an array', [{ ssid: 'x' }]],
    ['an unknown field', { ssid: 'x', vendor: 'Apple' }],
    ['a malformed MAC', { macs: ['AA:BB:CC:DD:EE'] }],
    ['too many MACs', { macs: Array.from({ length: 257 }, (_, i) => `AA:BB:CC:DD:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`) }],
    ['an empty list', { channels: [] }],
    ['a six-octet OUI', { ouis: ['AA:BB:CC:DD:EE:FF'] }],
    ['an unknown type', { types: ['Router'] }],
    ['an unknown band', { bands: ['60'] }],
    ['a channel that is not a whole number', { channels: [6.5] }],
    ['an unknown encryption', { encryption: ['wpa4'] }],
    ['a signal as a string', { minSignal: '-60' }],
    ['an SSID longer than 64', { ssid: 'x'.repeat(65) }],
    ['randomized as a string', { randomized: 'no' }],
  ]
  for (const [what, value] of bad) {
    const parsed = parseFilter(value)
    t.equal(parsed.ok, false, what)
    if (!parsed.ok) t.ok(parsed.message.length < 400, `${what}: a short message (${parsed.message})`)
  }
})
