import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Visit ids are
 * time-ordered so that a new visit lands at the right edge of the visits primary key and of
 * every index keyed by visit id (holds, pages, the numbers' holder): a batch of new visits
 * dirties a few pages there instead of one random page per visit and index (random v4 keys
 * made each visit write ~18 pages to the WAL, and the system time of those writes was a third
 * of a visit's cost). The random part comes from node's randomUUID, which draws entropy in
 * bulk; the `uuid` package's v7 asks the OS for 16 random bytes per id (13 µs a visit).
 * The id shows when the visit began, which the browser holding it knows anyway.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID() is xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx: keep its random bits and variant (Y),
  // replace the time fields and the version digit.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
