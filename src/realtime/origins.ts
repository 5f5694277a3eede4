// CORS_ORIGIN: '*' or a comma-separated list of origins, for REST and Socket.IO alike.

export type AllowedOrigins = '*' | string[]

export function parseOrigins(value: string): AllowedOrigins {
  const list = value.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean)
  return list.length === 0 || list.includes('*') ? '*' : list
}

/** A request without an Origin header is not a browser's cross-origin request: allowed. */
export function originAllowed(origin: string | undefined, allowed: AllowedOrigins): boolean {
  if (allowed === '*' || origin === undefined) return true
  return allowed.includes(origin.replace(/\/$/, ''))
}
