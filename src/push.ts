// What Kismet's eventbus pushes, into one sensor's pipeline without waiting for a poll:
// - ALERT: the alert, through the same intake (de-duplication, backlog) as polled ones;
// - NEW_DEVICE: the device as Kismet announced it (subscribed with DEVICE_FIELDS, so it is
//   the record a poll would read at that moment), a `new` through the tracker (never a
//   second one: a poll that was first wins);
// - DATASOURCE_*: the source is read again and scan:status published;
// - GPS_LOCATION: the sensor's own position.
// And the pace of the polls: while pushes are trusted the update poll may run less often;
// when they stop, a poll runs at once (the backfill of what may have been missed) and the
// loop returns to POLL_INTERVAL_MS.
import type { AlertIntake } from './alerts.js'
import type { EventbusFrame } from './kismet/eventbus.js'
import { isMappingError, toAlert, toLocation, toWifiDevice } from './kismet/mapping.js'
import { KISMET_UUID } from './kismet/wire.js'
import type { Poller, PollerLog } from './poller.js'
import type { SensorStats } from './stats.js'

export interface PushOptions {
  poller: Poller
  alerts: AlertIntake
  stats: SensorStats
  log: PollerLog
  /** POLL_INTERVAL_MS: the pace without trusted pushes. */
  pollIntervalMs: number
  /** POLL_INTERVAL_EVENTBUS_MS: the pace while the eventbus is healthy. */
  eventbusPollIntervalMs: number
}

export class PushIntake {
  readonly #o: PushOptions

  constructor(options: PushOptions) {
    this.#o = options
  }

  frame(frame: EventbusFrame): void {
    const { poller } = this.#o
    try {
      switch (frame.topic) {
        case 'ALERT':
          this.#o.alerts.take(toAlert(frame.payload))
          return
        case 'NEW_DEVICE':
          poller.announce(toWifiDevice(frame.payload))
          return
        case 'GPS_LOCATION':
          poller.setPosition(toLocation(frame.payload, 'GPS_LOCATION'))
          return
        case 'DATASOURCE_OPENED':
        case 'DATASOURCE_CLOSED':
        case 'DATASOURCE_ERROR':
        case 'DATASOURCE_PAUSED':
        case 'DATASOURCE_RESUMED': {
          const uuid = frame.payload
          if (typeof uuid !== 'string' || !KISMET_UUID.test(uuid)) {
            this.#malformed(frame.topic, 'not a datasource UUID')
            return
          }
          void poller.refreshSource(uuid)
          return
        }
        case 'TIMESTAMP':
          return
      }
    } catch (error) {
      if (!isMappingError(error)) throw error
      this.#malformed(frame.topic, error.message)
    }
  }

  /** The eventbus became trustworthy (true) or stopped being so (false). */
  health(healthy: boolean): void {
    const { poller } = this.#o
    poller.setPollInterval(healthy ? this.#o.eventbusPollIntervalMs : this.#o.pollIntervalMs)
    if (!healthy) poller.requestCycle()
  }

  #malformed(topic: string, problem: string): void {
    this.#o.stats.malformedRecords += 1
    this.#o.log.debug({ topic, problem }, 'eventbus record skipped (malformed)')
  }
}
