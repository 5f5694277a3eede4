// What differs between the two captured servers (test/fixtures/kismet/release-2025-09-R1/
// README.md): the record templates (keys present), the version strings they carry, where a
// device without GPS keeps its location key, and the text of "cannot parse" 500 bodies.
import { isJsonObject, type JsonObject } from './json.js'
import * as master from './templates/master.js'
import * as release from './templates/release-2025-09-R1.js'
import type { SimFlavor } from './types.js'

export interface FlavorTemplates {
  deviceAp: JsonObject
  deviceClient: JsonObject
  clientMapEntry: JsonObject
  datasource: JsonObject
  systemStatus: JsonObject
  allViews: JsonObject
  alert: JsonObject
}

/** The C++ type names Kismet's master build prints in "unable to parse" errors (typeid names). */
export type ParseTarget = 'l' | 'd' | 'j' | '10device_key' | '8mac_addr'

export interface FlavorProfile {
  flavor: SimFlavor
  templates: FlavorTemplates
  version: string
  git: string
  /**
   * The `kismet.device.base.location` value of a device that never had GPS: master sends
   * {"kismet.common.location.loc_fix": 0}, the release leaves the key out (null here).
   */
  locationWithoutFix: JsonObject | null
  /** Whether a device never heard with a fix still has `signal/peak_loc` ([0, 0], fix 0): master yes, the release no. */
  peakWithoutFix: boolean
  /** The 500 body for a URL piece that does not parse as `target`. */
  parseError(value: string, target: ParseTarget): string
}

function stringField(record: JsonObject, key: string): string {
  const value = record[key]
  if (typeof value !== 'string') throw new TypeError(`template field ${key} is not a string`)
  return value
}

function profile(flavor: SimFlavor, templates: FlavorTemplates, parseError: FlavorProfile['parseError']): FlavorProfile {
  const location = templates.deviceAp['kismet.device.base.location']
  const signal = templates.deviceAp['kismet.device.base.signal']
  return {
    flavor,
    templates,
    version: stringField(templates.systemStatus, 'kismet.system.version'),
    git: stringField(templates.systemStatus, 'kismet.system.git'),
    locationWithoutFix: isJsonObject(location) ? location : null,
    peakWithoutFix: isJsonObject(signal) && isJsonObject(signal['kismet.common.signal.peak_loc']),
    parseError,
  }
}

const PROFILES: Record<SimFlavor, FlavorProfile> = {
  // master: "ERROR: unable to parse string value 'abc' as l\n" (fixture devices_last-time_garbage_devices.txt)
  master: profile('master', master, (value, target) => `ERROR: unable to parse string value '${value}' as ${target}\n`),
  // 2025-09-R1: "ERROR: unable to parse string value\n" (36 bytes) whatever the value
  'release-2025-09-R1': profile('release-2025-09-R1', release, () => 'ERROR: unable to parse string value\n'),
}

export function flavorProfile(flavor: SimFlavor): FlavorProfile {
  return PROFILES[flavor]
}

export const FLAVORS: readonly SimFlavor[] = ['master', 'release-2025-09-R1']
