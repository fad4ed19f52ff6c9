/**
 * Time sources for the simulator. Every status the simulator reports is computed from a
 * `Clock`, never from timers, so tests can jump hours ahead instantly.
 */

/** A source of "now" in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: `advance(ms)` or `set(ms)`. */
export class ManualClock implements Clock {
  private current: number;

  /** @param startMs epoch ms to start at; default 2025-01-01T00:00:00Z so outputs are reproducible. */
  constructor(startMs: number = Date.UTC(2025, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` (must be >= 0). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`ManualClock.advance: ms must be a finite number >= 0, got ${ms}`);
    }
    this.current += ms;
  }

  /** Sets the clock to `ms` (may not go backwards). */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.current) {
      throw new RangeError(
        `ManualClock.set: cannot move the clock backwards (${ms} < ${this.current})`,
      );
    }
    this.current = ms;
  }
}

/**
 * Wall-clock time sped up `speed` times from the moment of construction: with speed 60 one
 * real second is one simulated minute.
 */
export class ScaledClock implements Clock {
  private readonly realStart: number;
  private readonly simStart: number;

  /**
   * @param speed simulated seconds per real second (> 0)
   * @param startMs simulated epoch ms at construction; default the current wall time
   */
  constructor(
    private readonly speed: number,
    startMs?: number,
  ) {
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new RangeError(`ScaledClock: speed must be a number > 0, got ${speed}`);
    }
    this.realStart = Date.now();
    this.simStart = startMs ?? this.realStart;
  }

  now(): number {
    return this.simStart + Math.floor((Date.now() - this.realStart) * this.speed);
  }
}
