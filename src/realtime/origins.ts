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

/**
 * A browser's request from a page of this very service (the dashboard at `/`): its Origin
 * names the host it asked. Such a page needs no CORS_ORIGIN entry, as a same-origin page never
 * does for REST.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false
  try {
    return new URL(origin).host === host.toLowerCase()
  } catch {
    return false
  }
}
