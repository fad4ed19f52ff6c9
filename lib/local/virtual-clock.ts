/**
 * Time for local runs. The local runner replaces every Wait state, retry pause and
 * handler sleep with `clock.sleep`, and the embedded simulator reads `clock.now()`,
 * so a pipeline of six-hour syncs runs in moments while every component still sees
 * consistent timestamps.
 *
 * `VirtualClock` is a discrete-event clock: time stands still while any work is in
 * flight (a handler calling the simulator, the engine moving between states) and
 * jumps to the earliest sleeper's wake-up time once everything is idle. Work in
 * flight is declared with `run(fn)`; a sleeper does not count as work while asleep.
 *
 * `ScaledClock` is the `--speed N` mode: real time, N simulated seconds per second.
 */

import { AsyncLocalStorage } from "node:async_hooks";

export interface LocalClock {
  /** Epoch milliseconds, simulated. */
  now(): number;
  /**
   * Resolves once `ms` simulated milliseconds have passed, or as soon as `signal`
   * aborts (it resolves then too: callers check the signal).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A timer that runs beside the caller's work rather than pausing it (a timeout, say):
   * unlike `sleep`, the caller still counts as busy while it is pending.
   */
  after(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `fn` as work in flight: the clock does not move on while it runs (virtual clock). */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

interface Sleeper {
  wakeAt: number;
  seq: number;
  resolve: () => void;
}

/** How many consecutive idle macrotask turns make the system idle. */
const IDLE_TURNS = 3;

export class VirtualClock implements LocalClock {
  private current: number;
  private busy = 0;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];
  private checking = false;
  /** How many `run` frames the current async context is inside. */
  private readonly depth = new AsyncLocalStorage<number>();

  constructor(startMs: number = Date.now()) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Work in flight right now (for tests and diagnostics). */
  get inFlight(): number {
    return this.busy;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    try {
      return await this.depth.run((this.depth.getStore() ?? 0) + 1, fn);
    } finally {
      this.busy--;
      this.scheduleAdvance();
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // Work that sleeps is idle while it sleeps: it gives back its `run` frames.
    return this.wait(ms, signal, this.depth.getStore() ?? 0);
  }

  after(ms: number, signal?: AbortSignal): Promise<void> {
    return this.wait(ms, signal, 0);
  }

  private wait(ms: number, signal: AbortSignal | undefined, frames: number): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const wakeAt = this.current + Math.max(0, ms);
    this.busy -= frames;
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        wakeAt,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          this.busy += frames;
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.sleepers.indexOf(sleeper);
        if (index >= 0) this.sleepers.splice(index, 1);
        sleeper.resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.scheduleAdvance();
    });
  }

  private scheduleAdvance(): void {
    if (this.checking) return;
    this.checking = true;
    void this.advanceWhenIdle();
  }

  /** Waits for a few quiet macrotask turns, then wakes the earliest sleepers. */
  private async advanceWhenIdle(): Promise<void> {
    try {
      for (;;) {
        let quiet = 0;
        while (quiet < IDLE_TURNS) {
          await new Promise<void>((r) => setTimeout(r, 0));
          quiet = this.busy === 0 ? quiet + 1 : 0;
          if (this.sleepers.length === 0) return;
        }
        this.sleepers.sort((a, b) => a.wakeAt - b.wakeAt || a.seq - b.seq);
        const first = this.sleepers[0];
        if (first === undefined) return;
        this.current = Math.max(this.current, first.wakeAt);
        const due = this.sleepers.filter((s) => s.wakeAt <= this.current);
        this.sleepers.splice(0, due.length);
        for (const s of due) s.resolve();
      }
    } finally {
      this.checking = false;
    }
  }
}

/**
 * Real time sped up: `speed` simulated milliseconds per real millisecond. Elapsed time
 * is read from the monotonic clock (`performance.now()`), and a sleep never resolves
 * before its simulated deadline: Node's timers may fire a millisecond early by the
 * wall clock, which at speed 1000 is a whole simulated second.
 */
export class ScaledClock implements LocalClock {
  private readonly realStart = performance.now();

  constructor(
    private readonly speed: number,
    private readonly startMs: number = Date.now(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`speed must be a positive number, got ${speed}`);
    }
  }

  now(): number {
    return this.startMs + (performance.now() - this.realStart) * this.speed;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const wakeAt = this.now() + Math.max(0, ms);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const arm = () => {
        const left = wakeAt - this.now();
        if (left <= 0) return done();
        // At least 1 real ms per re-arm, so a sub-millisecond remainder cannot spin.
        timer = setTimeout(arm, Math.max(1, Math.ceil(left / this.speed)));
      };
      signal?.addEventListener("abort", done, { once: true });
      arm();
    });
  }

  after(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleep(ms, signal);
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}
