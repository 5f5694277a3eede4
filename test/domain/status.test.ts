import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { fixturesRoot } from '../support/fixtures.js'
import type { KismetDatasource } from '../../src/kismet/wire.js'
import { deriveScanStatus } from '../../src/status.js'

// Real /datasource/all_sources.json answers captured from Kismet (see its README).
const FIXTURES = fixturesRoot

function fixture(path: string): KismetDatasource[] {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as KismetDatasource[]
}

const source = (overrides: Partial<KismetDatasource> = {}): KismetDatasource => ({
  'kismet.datasource.uuid': '5FE308BD-0000-0000-0000-00C0CA123456',
  'kismet.datasource.name': 'wlan0',
  'kismet.datasource.interface': 'wlan0',
  'kismet.datasource.running': 1,
  'kismet.datasource.paused': 0,
  'kismet.datasource.error': 0,
  'kismet.datasource.error_reason': '',
  'kismet.datasource.hopping': 1,
  'kismet.datasource.channel': '',
  'kismet.datasource.hop_rate': 5,
  'kismet.datasource.num_packets': 0,
  ...overrides,
})

const realFixtures = [
  { path: 'small/datasource_all_sources.json', packets: 8823 },
  { path: 'large/datasource_all_sources.json', packets: 175_648 },
  { path: 'release-2025-09-R1/small/datasource_all_sources.json', packets: 8796 },
]

for (const { path, packets } of realFixtures) {
  t.test(`real datasource record: ${path}`, async (t) => {
    const sources = fixture(path)
    t.equal(sources.length, 1)
    // One pcapfile source: running, not paused, no error, not hopping and no channel string.
    t.same(deriveScanStatus(sources, 132), { scanning: true, devicesFound: 132, packetsProcessed: packets, errors: 0 })
    t.notOk('currentChannel' in deriveScanStatus(sources, 132), 'no channel string: currentChannel omitted')
  })
}

t.test('no sources: not scanning, nothing counted', async (t) => {
  t.same(deriveScanStatus([], 0), { scanning: false, devicesFound: 0, packetsProcessed: 0, errors: 0 })
})

t.test('scanning needs a source that runs, is not paused and is not in error', async (t) => {
  t.equal(deriveScanStatus([source()], 0).scanning, true)
  t.equal(deriveScanStatus([source({ 'kismet.datasource.running': 0 })], 0).scanning, false)
  t.equal(deriveScanStatus([source({ 'kismet.datasource.paused': 1 })], 0).scanning, false)
  t.equal(deriveScanStatus([source({ 'kismet.datasource.error': 1 })], 0).scanning, false)
  t.equal(
    deriveScanStatus([source({ 'kismet.datasource.paused': 1 }), source({ 'kismet.datasource.error': 1 }), source()], 0).scanning,
    true,
    'one good source among bad ones is enough',
  )
})

t.test('errors counts the sources in error; packets are summed', async (t) => {
  const status = deriveScanStatus(
    [
      source({ 'kismet.datasource.error': 1, 'kismet.datasource.error_reason': 'interface went away', 'kismet.datasource.running': 0, 'kismet.datasource.num_packets': 10 }),
      source({ 'kismet.datasource.error': 1, 'kismet.datasource.num_packets': 5 }),
      source({ 'kismet.datasource.num_packets': 1000 }),
    ],
    42,
  )
  t.same(status, { scanning: true, devicesFound: 42, packetsProcessed: 1015, errors: 2 })
})

t.test('currentChannel: one source locked to a channel', async (t) => {
  const locked = source({ 'kismet.datasource.hopping': 0, 'kismet.datasource.channel': '6HT40+', 'kismet.datasource.hop_rate': 0 })
  t.equal(deriveScanStatus([locked], 1).currentChannel, 6)
  t.equal(deriveScanStatus([source({ 'kismet.datasource.hopping': 0, 'kismet.datasource.channel': '36' })], 1).currentChannel, 36)
  t.equal(deriveScanStatus([locked, source()], 1).currentChannel, 6, 'a hopping source beside it does not matter')
})

t.test('currentChannel omitted when not known or ambiguous', async (t) => {
  const locked = (channel: string, extra: Partial<KismetDatasource> = {}) =>
    source({ 'kismet.datasource.hopping': 0, 'kismet.datasource.channel': channel, ...extra })
  const channelOf = (sources: KismetDatasource[]) => deriveScanStatus(sources, 0)
  t.notOk('currentChannel' in channelOf([source({ 'kismet.datasource.channel': '11' })]), 'hopping: its channel string is stale')
  t.notOk('currentChannel' in channelOf([locked('')]), 'locked without a channel string')
  t.notOk('currentChannel' in channelOf([locked('abc')]), 'channel string without a number')
  t.notOk('currentChannel' in channelOf([locked('6'), locked('11')]), 'two sources on different channels')
  t.notOk('currentChannel' in channelOf([locked('6', { 'kismet.datasource.paused': 1 })]), 'a paused source hears nothing')
  t.notOk('currentChannel' in channelOf([locked('6', { 'kismet.datasource.error': 1 })]), 'a failed source hears nothing')
  t.equal(channelOf([locked('6'), locked('6HT20')]).currentChannel, 6, 'two sources on the same channel agree')
  t.equal(channelOf([locked('6', { 'kismet.datasource.running': 0 }), locked('11')]).currentChannel, 11, 'a stopped source does not count')
})
