/**
 * The soak's sizes and its stack's settings, from the command line: a long run at a fixed,
 * moderate rate (not the stack's ceiling), reported per window, with trends judged early
 * against late.
 */
export interface SoakPlan {
  durationS: number
  /** A twentieth of the run (a minute of 20), from 5 s to a minute: enough windows for the trends. */
  windowS: number
  /** Open-loop arrivals a second; a checkout is two requests, so requests/s is 10/9 of this. */
  arrivalsPerS: number
  buyers: number
  seatsPerEvent: number
  liveMaps: number
  /** One live map closed and another opened on the newest event, this often. */
  replaceMapEveryMs: number
  /** Holds let expire: the API's shortest, so the sweeper tidies several every tick. */
  holdTtlS: number
  connections: number
  retentionS: number
  /** For the stack: retention short enough to run many times in the soak. */
  env: Record<string, string>
}

export function soakPlan (options: { smoke: boolean, minutes?: number, connections?: number }): SoakPlan {
  const durationS = options.minutes !== undefined ? options.minutes * 60 : options.smoke ? 30 : 20 * 60
  const windowS = Math.min(60, Math.max(5, durationS / 20))
  // Rows older than one window go: the tables level off by the end of the first window, before
  // the early one (the 2nd to 6th twentieth) the trends compare with begins.
  // Retention ticks every tenth of it (at least every second): several ticks per window.
  const retentionS = Math.max(3, Math.round(windowS))
  return {
    durationS,
    windowS,
    arrivalsPerS: 90,
    buyers: options.smoke ? 50 : 200,
    // Events of 5,000 seats go in about 70 s (~70 fresh seats a second): ~17 of them in 20 minutes.
    seatsPerEvent: options.smoke ? 1_000 : 5_000,
    liveMaps: options.smoke ? 20 : 100,
    replaceMapEveryMs: options.smoke ? 1_000 : 2_000,
    holdTtlS: 5,
    connections: options.connections ?? 64,
    retentionS,
    env: { RETENTION_SECONDS: String(retentionS) },
  }
}
