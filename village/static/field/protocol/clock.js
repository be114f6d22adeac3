// Hybrid logical clock, as sync/clock.py: 48 bits of milliseconds, 16 of counter, as BigInt.
export const COUNTER_BITS = 16n;

/** Return the version string of timestamp `hlc` (BigInt) on node `nodeId`. */
export function makeVersion(hlc, nodeId) {
  return `${BigInt(hlc).toString(16).padStart(16, "0")}-${nodeId}`;
}

/** Return [hlc (BigInt), nodeId] of a version string. */
export function splitVersion(version) {
  const dash = version.indexOf("-");
  return [BigInt("0x" + version.slice(0, dash)), version.slice(dash + 1)];
}

/** Return the milliseconds part of a timestamp. */
export function physicalMs(hlc) {
  return Number(BigInt(hlc) >> COUNTER_BITS);
}

/** A hybrid logical clock; persist `last` (with its records) and load it again with the constructor. */
export class Clock {
  constructor(last = 0n, offsetMs = 0, wall = () => Date.now()) {
    this.last = BigInt(last);
    this.offsetMs = offsetMs;
    this.wall = wall;
  }

  /** Return a new timestamp, greater than every one this clock has seen. */
  now() {
    const physical = BigInt(Math.floor(this.wall() + this.offsetMs)) << COUNTER_BITS;
    // A tablet clock set back leaves `last` ahead: the counter moves on from there.
    this.last = physical > this.last + 1n ? physical : this.last + 1n;
    return this.last;
  }

  /** Merge a peer's timestamp so our next one is later; return how many ms the peer is ahead (0 if not). */
  observe(remote) {
    remote = BigInt(remote);
    if (remote > this.last) this.last = remote;
    return Math.max(0, physicalMs(remote) - (this.wall() + this.offsetMs));
  }
}
