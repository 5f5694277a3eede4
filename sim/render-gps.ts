// Kismet's GPS endpoints for a simulator with a GPS, as the GPS captures show them
// (test/fixtures/kismet/gps/): Kismet's own virtual GPS at a fixed position. Without a GPS, or
// without a fix, /gps/location.json answers the bare triplet Kismet creates for "no best
// location" (gpstracker.cc: a location whose only set field is the geopoint, [0, 0]) — that
// answer is from the source, not from a capture.
import { kismetAdler32 } from './ids.js'
import { cloneJson, setIfPresent, type JsonObject } from './json.js'
import { gpsDevice } from './templates/gps.js'

/** The simulated GPS: a fixed position; a fix below 2 is a GPS that has not got one. */
export interface SimGps {
  lat: number
  lon: number
  /** metres */
  alt: number
  /** 0/1 none, 2 = 2D, 3 = 3D */
  fix: number
}

/** The definition line Kismet's config would carry for this GPS (`gps=...`). */
export function gpsDefinition(gps: SimGps): string {
  return `virtual:name=fixed,lat=${gps.lat},lon=${gps.lon},alt=${gps.alt}`
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0')

/** Kismet's GPS UUID (kis_gps.cc): the checksum of "kismet_gps", then that of the server name and the definition. */
export function gpsUuid(serverName: string, gps: SimGps): string {
  return `${hex8(kismetAdler32('kismet_gps'))}-0000-0000-0000-0000${hex8(kismetAdler32(serverName + gpsDefinition(gps)))}`
}

function triplet(gps: SimGps, timeSec: number, timeUsec: number): JsonObject {
  return {
    'kismet.common.location.geopoint': [gps.lon, gps.lat],
    'kismet.common.location.alt': gps.alt,
    'kismet.common.location.speed': 0,
    'kismet.common.location.heading': 0,
    'kismet.common.location.fix': gps.fix,
    'kismet.common.location.time_sec': timeSec,
    'kismet.common.location.time_usec': timeUsec,
  }
}

/** GET /gps/location.json: the best fix, with the UUID of the GPS that gave it. */
export function renderGpsLocation(gps: SimGps | null, uuid: string, nowSec: number, nowUsec: number): JsonObject {
  if (gps === null || gps.fix < 2) return { 'kismet.common.location.geopoint': [0, 0] }
  const { 'kismet.common.location.geopoint': geopoint, ...rest } = triplet(gps, nowSec, nowUsec)
  return { 'kismet.common.location.geopoint': geopoint ?? [0, 0], 'kismet.common.location.gps_uuid': uuid, ...rest }
}

/**
 * GET /gps/all_gps.json: the configured GPS devices. The virtual GPS reports its location
 * with time 0 (as captured); data_time and signal_time are when it started.
 */
export function renderAllGps(gps: SimGps | null, uuid: string, startSec: number): JsonObject[] {
  if (gps === null) return []
  const record = cloneJson(gpsDevice)
  const values: Array<[string, JsonObject | string | number]> = [
    ['kismet.gps.description', `Virtual GPS at ${gps.lat},${gps.lon} @ ${gps.alt}m`],
    ['kismet.gps.location', triplet(gps, 0, 0)],
    ['kismet.gps.last_location', triplet(gps, 0, 0)],
    ['kismet.gps.uuid', uuid],
    ['kismet.gps.definition', gpsDefinition(gps)],
    ['kismet.gps.data_time', startSec],
    ['kismet.gps.signal_time', startSec],
  ]
  for (const [key, value] of values) setIfPresent(record, key, value)
  return [record]
}

/** GET /gps/all_locations.json: each GPS's location by UUID. */
export function renderAllLocations(gps: SimGps | null, uuid: string, nowSec: number, nowUsec: number): JsonObject {
  return gps === null ? {} : { [uuid]: triplet(gps, nowSec, nowUsec) }
}
