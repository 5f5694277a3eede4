// The original design, kept only as a benchmark baseline: every cycle asks Kismet for every
// device seen in the last 5 minutes (POST /devices/last-time/-300/devices.json with the same
// DEVICE_FIELDS) and diffs the whole list locally; status, alerts and datasources as the
// real poller asks for them. It uses the real KismetClient, so parsing and mapping are the
// same code and only the request strategy differs.
import type { AlertDeduper } from '../src/alerts.js'
import type { KismetClient } from '../src/kismet/client.js'
import type { DeviceTracker } from '../src/tracker.js'

export const BASELINE_WINDOW_S = 300

export class BaselinePoller {
  readonly #client: KismetClient
  readonly #tracker: DeviceTracker
  readonly #alerts: AlertDeduper
  #lastAlertSec = 0

  constructor(options: { client: KismetClient; tracker: DeviceTracker; alerts: AlertDeduper }) {
    this.#client = options.client
    this.#tracker = options.tracker
    this.#alerts = options.alerts
  }

  /** One cycle; resolves the number of device events the local diff produced. */
  async cycle(): Promise<{ devices: number; events: number }> {
    await this.#client.systemStatus()
    const batch = await this.#client.devicesSince(-BASELINE_WINDOW_S)
    const alerts = await this.#client.alertsSince(this.#lastAlertSec)
    await this.#client.datasources()
    // The local diff of the full list: update/signal/nothing per device, remove the missing.
    const events = this.#tracker.resync(batch.devices)
    for (const alert of alerts.alerts) this.#alerts.accept(alert)
    this.#lastAlertSec = Math.max(this.#lastAlertSec, alerts.latestTimestamp)
    return { devices: batch.devices.length, events: events.length }
  }
}
