/**
 * The accounting rule every path keeps: each record in ends indexed or written, a duplicate of an earlier delivery,
 * filtered, backed up, or deferred to a redelivery. Counts that break it are a bug.
 */

/** Counts that do not balance: never a state to carry on from (nothing is marked done or archived after it). */
export class UnbalancedCounts extends Error {
  constructor(what: string, counts: object) {
    super(`${what}: counts do not balance: ${JSON.stringify(counts)}`);
    this.name = 'UnbalancedCounts';
  }
}
