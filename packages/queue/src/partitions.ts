import type { Command } from '@seatline/contracts'

/**
 * Queue groups on open-source BullMQ: a group key is hashed onto one of P partition queues, and
 * each partition runs one job at a time, so all commands of one group run in arrival order.
 */

/** FNV-1a, 32 bit: stable across processes and versions, and spreads short keys well. */
export function hash32 (key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function partitionOf (groupKey: string, partitions: number): number {
  return hash32(groupKey) % partitions
}

/** The braces are a Redis Cluster hash tag: all of one queue's keys share a slot. */
export function partitionQueueName (partition: number): string {
  return `{booking-${partition}}`
}

/** A seat command's group is its smallest seat, so overlapping commands often share a queue. */
function seatGroupKey (eventId: string, seatIds: readonly string[]): string {
  let smallest = seatIds[0]
  for (const seatId of seatIds) if (smallest === undefined || seatId < smallest) smallest = seatId
  return `${eventId}:${smallest}`
}

function sectionGroupKey (eventId: string, sectionId: string): string {
  return `${eventId}:${sectionId}`
}

/**
 * The group a command runs in, one after another in arrival order: its event and smallest seat,
 * or its general-admission section.
 */
export function commandGroupKey (command: Command): string {
  switch (command.type) {
    case 'book-section': return sectionGroupKey(command.eventId, command.sectionId)
    case 'cancel-booking': return command.sectionId ? sectionGroupKey(command.eventId, command.sectionId) : seatGroupKey(command.eventId, command.seatIds)
    default: return seatGroupKey(command.eventId, command.seatIds)
  }
}
