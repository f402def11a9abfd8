/**
 * Names of the things a command locks: one seat, or one general-admission section. The worker
 * locks them; the gateway remembers which of them it has seen taken.
 */
export function seatResource (eventId: string, seatId: string): string {
  return `seat:${eventId}:${seatId}`
}

export function sectionResource (eventId: string, sectionId: string): string {
  return `section:${eventId}:${sectionId}`
}
