// One piece of work per animation frame, however many times it is asked for in between. A
// hidden tab gets no animation frames, so a timer stands in: what arrives is still applied
// (memory stays bounded) though nothing is drawn.
const HIDDEN_TAB_MS = 500

export class FrameLoop {
  readonly #run: () => void
  #generation = 0
  #pending = false

  constructor(run: () => void) {
    this.#run = run
  }

  request(): void {
    if (this.#pending) return
    this.#pending = true
    const generation = ++this.#generation
    const fire = () => {
      if (!this.#pending || generation !== this.#generation) return
      this.#pending = false
      this.#run()
    }
    requestAnimationFrame(fire)
    setTimeout(fire, HIDDEN_TAB_MS)
  }
}

/**
 * The service's clock as seen from here: the browser's plus the offset of the newest envelope
 * (a replayed or snapshot envelope is older than its arrival and moves nothing).
 */
export const serverClock = {
  offset: 0,
  newest: Number.NEGATIVE_INFINITY,
  now(): number {
    return Date.now() + this.offset
  },
  observe(serverTimestamp: number): void {
    if (!(serverTimestamp > this.newest)) return
    this.newest = serverTimestamp
    this.offset = serverTimestamp - Date.now()
  },
}
