import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two files at a time on the 2-core machine: the one real-time test (95 s of waiting in a
    // single poll) then runs beside the rest instead of adding its wait to the suite's time.
    maxWorkers: 2,
  },
});
