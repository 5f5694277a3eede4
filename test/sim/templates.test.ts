// The simulator carries copies of real Kismet records as templates (sim/templates) so it
// runs without the fixtures; they must stay verbatim copies of the captures.
import t from 'tap'
import * as master from '../../sim/templates/master.js'
import * as release from '../../sim/templates/release-2025-09-R1.js'
import { gpsDevice } from '../../sim/templates/gps.js'
import { flavorFile, readFixtureJson, type FixtureFlavor } from '../support/fixtures.js'

const TEMPLATES = { master, 'release-2025-09-R1': release }

function clientMapEntry(flavor: FixtureFlavor): unknown {
  const list = readFixtureJson(flavorFile(flavor, 'small/devices_views_all_devices.json')) as Array<Record<string, Record<string, unknown>>>
  const device = list.find((record) => record['kismet.device.base.macaddr'] === ('24:0A:C4:79:B8:BE' as unknown))
  const map = device?.['dot11.device']?.['dot11.device.client_map'] as Record<string, unknown> | undefined
  return map?.['F0:9F:C2:D5:81:42']
}

for (const flavor of ['master', 'release-2025-09-R1'] as const) {
  t.test(`${flavor}: templates equal the captured records`, async (t) => {
    const templates = TEMPLATES[flavor]
    t.same(templates.deviceAp, readFixtureJson(flavorFile(flavor, 'small/device_by-key_ap.json')))
    t.same(templates.deviceClient, readFixtureJson(flavorFile(flavor, 'small/device_by-key_client.json')))
    t.same(templates.datasource, (readFixtureJson(flavorFile(flavor, 'small/datasource_all_sources.json')) as unknown[])[0])
    t.same(templates.systemStatus, readFixtureJson(flavorFile(flavor, 'small/system_status.json')))
    t.same(templates.allViews, { views: readFixtureJson(flavorFile(flavor, 'small/devices_views_all_views.json')) })
    t.same(templates.alert, readFixtureJson(flavorFile(flavor, 'alerts/alerts_by-id.json')))
    t.same(templates.clientMapEntry, clientMapEntry(flavor))
  })
}

t.test('the GPS template equals the captured GPS record', async (t) => {
  t.same(gpsDevice, (readFixtureJson('gps/gps_all_gps.json') as unknown[])[0])
})
