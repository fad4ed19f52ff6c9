import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The default order (slowest first, from the cache of earlier runs) with the one real-time
 * test file first even in a fresh clone, which has no cache: its 95 s of waiting in a single
 * poll then runs beside the rest instead of after it.
 */
class RealTimeFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (file: TestSpecification) => file.moduleId.endsWith("real-time.test.ts");
    return [...sorted.filter(waits), ...sorted.filter((file) => !waits(file))];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two files at a time on the 2-core machine: the one real-time test (95 s of waiting in a
    // single poll) then runs beside the rest instead of adding its wait to the suite's time.
    maxWorkers: 2,
    sequence: { sequencer: RealTimeFirst },
  },
});
