// The GPS records: Kismet's best location, as its eventbus GPS_LOCATION frames carry it
// (gps/eventbus_gps_location.json; the same triplet as GET /gps/location.json). Without a
// fix Kismet sends only a zero geopoint (eventbus/subscribe_wildcard.json).
import type { JsonObject } from './json.js'
import { microsOf, secondsOf } from './render-system.js'
import type { SimLocation } from './types.js'

export function renderGpsLocation(gps: SimLocation | null, gpsUuid: string, nowMs: number): JsonObject {
  if (gps === null || gps.fix < 2) return { 'kismet.common.location.geopoint': [0, 0] }
  return {
    'kismet.common.location.geopoint': [gps.lon, gps.lat],
    'kismet.common.location.gps_uuid': gpsUuid,
    'kismet.common.location.alt': gps.alt,
    'kismet.common.location.speed': 0,
    'kismet.common.location.heading': 0,
    'kismet.common.location.fix': gps.fix,
    'kismet.common.location.time_sec': secondsOf(nowMs),
    'kismet.common.location.time_usec': microsOf(nowMs),
  }
}
