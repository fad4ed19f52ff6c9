import { describe, expect, it, vi } from "vitest";
import { VirtualClock, WallClock } from "../../../lib/local/virtual-clock";

describe("VirtualClock", () => {
  it("jumps to each sleeper's wake time in order once idle", async () => {
    const clock = new VirtualClock(0);
    const woke: Array<[string, number]> = [];
    await Promise.all([
      clock.sleep(6 * 3600_000).then(() => woke.push(["six hours", clock.now()])),
      clock.sleep(60_000).then(() => woke.push(["a minute", clock.now()])),
      clock.sleep(60_000).then(() => woke.push(["another minute", clock.now()])),
    ]);
    expect(woke).toEqual([
      ["a minute", 60_000],
      ["another minute", 60_000],
      ["six hours", 6 * 3600_000],
    ]);
  });

  it.each([
    ["at full speed", Number.POSITIVE_INFINITY],
    ["paced at 1000x", 1_000],
  ])("does not move while work is in flight (%s)", async (_mode, speed) => {
    const clock = new VirtualClock(1_000, speed);
    let release!: () => void;
    const work = clock.run(() => new Promise<void>((r) => (release = r)));
    let woke = false;
    const sleeper = clock.sleep(5_000).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    expect(clock.now()).toBe(1_000);
    release();
    await work;
    await sleeper;
    expect(clock.now()).toBe(6_000);
  });

  it("moves on at full speed without any timer (a setTimeout(0) turn is 1 ms or more of idle)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] }); // a frozen setTimeout: only other turns pass
    try {
      const clock = new VirtualClock(0);
      await clock.run(() => clock.sleep(60_000));
      await clock.sleep(3600_000);
      expect(clock.now()).toBe(3660_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("treats a sleeper inside run as idle while it sleeps", async () => {
    const clock = new VirtualClock(0);
    const result = await clock.run(async () => {
      await clock.sleep(30_000);
      return clock.now();
    });
    expect(result).toBe(30_000);
    expect(clock.inFlight).toBe(0);
  });

  it("interleaves concurrent pollers on one timeline", async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    const poller = (name: string, every: number, times: number) =>
      clock.run(async () => {
        for (let i = 0; i < times; i++) {
          await clock.sleep(every);
          seen.push(`${name}@${clock.now()}`);
        }
      });
    await Promise.all([poller("a", 10_000, 3), poller("b", 25_000, 2)]);
    expect(seen).toEqual(["a@10000", "a@20000", "b@25000", "a@30000", "b@50000"]);
  });
});

describe("VirtualClock at a speed (--speed N)", () => {
  it("rejects a speed that is not positive", () => {
    expect(() => new VirtualClock(0, 0)).toThrow(/speed must be a positive number/);
    expect(() => new VirtualClock(0, Number.NaN)).toThrow(/speed/);
  });

  it("wakes each sleeper at its simulated deadline, never before", async () => {
    // At speed 1000 one real millisecond early is a simulated second early: each of
    // these sleeps is one or two real milliseconds, where timer rounding shows.
    const clock = new VirtualClock(0, 1000);
    for (let i = 0; i < 40; i++) {
      const wakeAt = clock.now() + 1_500;
      await clock.sleep(1_500);
      expect(clock.now()).toBe(wakeAt);
    }
  });

  it("gives the same timeline as the virtual clock, however long the work takes", async () => {
    // Each poll does 5 real ms of CPU work: on a scaled wall clock that would be 50
    // simulated seconds at speed 10000, and the timelines would drift apart.
    const busyWork = () => {
      const until = performance.now() + 5;
      while (performance.now() < until) {}
    };
    const timeline = async (clock: VirtualClock) => {
      const seen: string[] = [];
      const poller = (name: string, every: number, times: number) =>
        clock.run(async () => {
          for (let i = 0; i < times; i++) {
            await clock.sleep(every);
            busyWork();
            seen.push(`${name}@${clock.now()}`);
          }
        });
      await Promise.all([poller("a", 10_000, 3), poller("b", 25_000, 2)]);
      return seen;
    };
    const virtual = await timeline(new VirtualClock(0));
    expect(await timeline(new VirtualClock(0, 10_000))).toEqual(virtual);
    expect(virtual).toEqual(["a@10000", "a@20000", "b@25000", "a@30000", "b@50000"]);
  });

  it("turns to a sleeper due earlier than the wake-up time is flowing to", async () => {
    const clock = new VirtualClock(0, 100);
    const woke: Array<[string, number]> = [];
    const late = clock.sleep(60_000).then(() => woke.push(["late", clock.now()]));
    await new Promise((r) => setTimeout(r, 10));
    const earlyAt = clock.now() + 1_000;
    const early = clock.sleep(1_000).then(() => woke.push(["early", clock.now()]));
    await early;
    expect(woke.map(([name]) => name)).toEqual(["early"]);
    expect(woke[0]?.[1]).toBeGreaterThanOrEqual(earlyAt);
    expect(woke[0]?.[1]).toBeLessThan(60_000);
    await late;
    expect(woke[1]).toEqual(["late", 60_000]);
  });
});

describe("WallClock (--live)", () => {
  it("sleeps real time and never wakes early", async () => {
    const clock = new WallClock();
    const wakeAt = clock.now() + 5;
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(wakeAt);
  });
});

describe("VirtualClock nesting", () => {
  it("gives back every run frame of a nested sleeper", async () => {
    const clock = new VirtualClock(0);
    const at = await clock.run(() =>
      clock.run(async () => {
        await clock.sleep(1_000);
        return clock.now();
      }),
    );
    expect(at).toBe(1_000);
    expect(clock.inFlight).toBe(0);
  });
});

describe("cancellable sleeps", () => {
  it("an aborted virtual sleeper leaves the timeline without moving the clock", async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const long = clock.sleep(3_600_000, controller.signal);
    controller.abort();
    await long;
    await clock.sleep(10);
    expect(clock.now()).toBe(10);
  });

  it("an aborted sleep at real speed resolves at once, without moving the clock", async () => {
    const clock = new VirtualClock(0, 1);
    const controller = new AbortController();
    const sleeping = clock.sleep(3_600_000, controller.signal);
    controller.abort();
    await sleeping;
    expect(clock.now()).toBeLessThan(3_600_000);
  });
});

describe("timers beside work", () => {
  it("a pending `after` timer does not hand back the caller's frames", async () => {
    const clock = new VirtualClock(0);
    const stop = new AbortController();
    const at = await clock.run(async () => {
      void clock.after(3_600_000, stop.signal);
      // Nested work that sleeps while the timer is pending must still let time move.
      return clock.run(async () => {
        await clock.sleep(60_000);
        return clock.now();
      });
    });
    stop.abort();
    expect(at).toBe(60_000);
    expect(clock.inFlight).toBe(0);
  });
});

describe("work given up while it sleeps", () => {
  it("does not hold the clock still: a timed-out task's sleeper is not work in flight", async () => {
    const clock = new VirtualClock(0);
    // A task that sleeps a day, given up after a minute (as a Task timeout does): its
    // frame ends while its sleeper still sleeps.
    let hung: Promise<void> = Promise.resolve();
    const givenUp = clock.run(() => {
      hung = clock.sleep(24 * 3600_000);
      return Promise.race([hung.then(() => "done"), clock.after(60_000).then(() => "timed out")]);
    });
    expect(await givenUp).toBe("timed out");
    await clock.sleep(3600_000);
    expect(clock.now()).toBe(3660_000);
    await hung;
    expect(clock.inFlight).toBe(0);
  });
});
