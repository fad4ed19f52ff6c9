/**
 * Time for local runs. The local runner replaces every Wait state, retry pause and
 * handler sleep with `clock.sleep`, and the embedded simulator reads `clock.now()`,
 * so a pipeline of six-hour syncs runs in moments while every component still sees
 * consistent timestamps.
 *
 * `VirtualClock` is a discrete-event clock: time stands still while any work is in
 * flight (a handler calling the simulator, the engine moving between states) and moves
 * on to the earliest sleeper's wake-up time once everything is idle: at once (the
 * default), or at `speed` simulated milliseconds per real millisecond (`--speed N`).
 * Either way the work itself takes no simulated time, so the same scenario gives the
 * same timeline at full speed, at `--speed 600` and on a loaded machine.
 * Work in flight is declared with `run(fn)`; a sleeper does not count as work while asleep.
 *
 * `WallClock` is real time (`--live`): the real Polytomic API's runs go on while the
 * handlers work, so nothing stands still.
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

/** Time flowing in real time towards a wake-up (paced mode only). */
interface Flow {
  /** `performance.now()` when time began to flow from `current`. */
  fromReal: number;
  /** The simulated time it flows to (the earliest sleeper's wake-up). */
  until: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Ends the flow: `true` when `until` was reached, `false` when work or an earlier sleeper came. */
  end: (reached: boolean) => void;
}

/**
 * One `run` of work in flight. It counts as busy while it runs and none of its async
 * branches sleeps: a sleeper gives back every frame it runs inside, until it wakes.
 */
interface Frame {
  /** Sleepers inside this frame right now. */
  asleep: number;
}

export class VirtualClock implements LocalClock {
  private current: number;
  private seq = 0;
  private readonly sleepers: Sleeper[] = [];
  private checking = false;
  private flow: Flow | undefined;
  /** Frames whose `run` has not ended. */
  private readonly frames = new Set<Frame>();
  /** The `run` frames the current async context is inside, outermost first. */
  private readonly depth = new AsyncLocalStorage<readonly Frame[]>();

  /**
   * @param startMs the simulated epoch milliseconds to start at
   * @param speed simulated milliseconds per real millisecond while idle; `Infinity`
   *   jumps from one wake-up to the next at once
   */
  constructor(
    startMs: number = Date.now(),
    private readonly speed: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be a positive number, got ${speed}`);
    this.current = startMs;
  }

  now(): number {
    const flow = this.flow;
    if (flow === undefined) return this.current;
    const flowed = (performance.now() - flow.fromReal) * this.speed;
    return Math.min(flow.until, this.current + Math.floor(flowed));
  }

  /** Work in flight right now: frames running with no branch asleep. */
  get inFlight(): number {
    let busy = 0;
    for (const frame of this.frames) if (frame.asleep === 0) busy++;
    return busy;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const frame: Frame = { asleep: 0 };
    this.stopFlow(false); // work starts: time stands still from now on
    this.frames.add(frame);
    try {
      return await this.depth.run([...(this.depth.getStore() ?? []), frame], fn);
    } finally {
      // A frame given up while a branch of it sleeps (a timed-out task) ends here too.
      this.frames.delete(frame);
      this.scheduleAdvance();
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    // Work that sleeps is idle while it sleeps: it gives back its `run` frames.
    return this.wait(ms, signal, this.depth.getStore() ?? []);
  }

  after(ms: number, signal?: AbortSignal): Promise<void> {
    return this.wait(ms, signal, []);
  }

  private wait(
    ms: number,
    signal: AbortSignal | undefined,
    frames: readonly Frame[],
  ): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    const wakeAt = this.now() + Math.max(0, ms);
    for (const frame of frames) frame.asleep++;
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        wakeAt,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          for (const frame of frames) frame.asleep--;
          if (frames.some((f) => this.frames.has(f))) this.stopFlow(false); // work resumes
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.sleepers.indexOf(sleeper);
        if (index >= 0) this.sleepers.splice(index, 1);
        this.stopFlow(false); // time may have been flowing to its wake-up
        sleeper.resolve();
        this.scheduleAdvance();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
      // A sleeper due before the time now flowing to: flow to it instead.
      if (this.flow !== undefined && wakeAt < this.flow.until) this.stopFlow(false);
      this.scheduleAdvance();
    });
  }

  private scheduleAdvance(): void {
    if (this.checking) return;
    this.checking = true;
    void this.advanceWhenIdle();
  }

  /**
   * Waits for a few quiet turns of the event loop, then moves on to the earliest
   * sleepers. A turn is a setImmediate (after pending I/O), not a setTimeout(0), which
   * waits 1 ms or more: a 50-step run spent over a quarter of its wall time idle there.
   */
  private async advanceWhenIdle(): Promise<void> {
    try {
      for (;;) {
        let quiet = 0;
        while (quiet < IDLE_TURNS) {
          await new Promise<void>((r) => setImmediate(r));
          quiet = this.inFlight === 0 ? quiet + 1 : 0;
          if (this.sleepers.length === 0) return;
        }
        this.sleepers.sort((a, b) => a.wakeAt - b.wakeAt || a.seq - b.seq);
        const first = this.sleepers[0];
        if (first === undefined) return;
        if (!(await this.flowTo(first.wakeAt))) continue;
        const due = this.sleepers.filter((s) => s.wakeAt <= this.current);
        this.sleepers.splice(0, due.length);
        for (const s of due) s.resolve();
      }
    } finally {
      this.checking = false;
    }
  }

  /**
   * Moves time to `until`: at once, or paced at `speed` in real time. Resolves `false`
   * when work or an earlier sleeper interrupts the flow (time then stands where it got to).
   */
  private flowTo(until: number): Promise<boolean> {
    if (until <= this.current || this.speed === Number.POSITIVE_INFINITY) {
      this.current = Math.max(this.current, until);
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const flow: Flow = {
        fromReal: performance.now(),
        until,
        end: (reached) => {
          clearTimeout(flow.timer);
          this.current = reached ? until : this.now();
          this.flow = undefined;
          resolve(reached);
        },
      };
      this.flow = flow;
      const arm = () => {
        const left = until - this.now();
        if (left <= 0) return flow.end(true);
        // At least 1 real ms per re-arm, so a sub-millisecond remainder cannot spin;
        // timers may fire early, so the deadline is checked again on waking.
        flow.timer = setTimeout(
          arm,
          Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(left / this.speed))),
        );
      };
      arm();
    });
  }

  private stopFlow(reached: boolean): void {
    this.flow?.end(reached);
  }
}

/**
 * Real time (`--live`): the clock of the real Polytomic API, which does not stop while
 * the handlers work. Elapsed time is read from the monotonic clock, and a sleep never
 * resolves before its deadline (Node's timers may fire a millisecond early).
 */
export class WallClock implements LocalClock {
  private readonly realStart = performance.now();
  private readonly startMs = Date.now();

  now(): number {
    return this.startMs + (performance.now() - this.realStart);
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
        // Node's timers hold at most 2^31-1 ms: longer sleeps re-arm.
        timer = setTimeout(arm, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(left))));
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

/** The longest delay a Node timer holds (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;
