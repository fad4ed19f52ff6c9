/**
 * The standalone simulator: `npx tsx simulator/serve.ts --port N --scenario FILE [--speed N]`.
 * Runs on the wall clock, or `speed` times faster with --speed, and checks its responses
 * against the spec as the tests do. `serve()` is what the
 * `polytomic-orchestrator simulator` command calls.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ScaledClock, systemClock } from "./clock";
import { emptyScenario, loadScenario } from "./scenario";
import { type RunningSimulator, startSimulator } from "./server";

export interface ServeOptions {
  /** @default 0 (ephemeral) */
  port?: number;
  /** Scenario file (YAML or JSON). @default - no syncs, no faults */
  scenarioPath?: string;
  /** Simulated seconds per real second. @default - the wall clock */
  speed?: number;
  /**
   * Check every response against the spec (a non-conforming one becomes a 500 naming the
   * problems), as the tests do. @default true
   */
  validateResponses?: boolean;
  /** Where to print the start-up line. @default - nothing printed */
  log?: (line: string) => void;
}

/** Starts the simulator on 127.0.0.1 for a scenario file. */
export async function serve(opts: ServeOptions = {}): Promise<RunningSimulator> {
  const scenario = opts.scenarioPath ? await loadScenario(opts.scenarioPath) : emptyScenario();
  const clock = opts.speed !== undefined ? new ScaledClock(opts.speed) : systemClock;
  const sim = await startSimulator({
    scenario,
    clock,
    port: opts.port ?? 0,
    validateResponses: opts.validateResponses ?? true,
    // A registered webhook gets its events on the wall (or scaled) clock.
    webhookPumpMs: 250,
  });
  const syncs = Object.keys(scenario.syncs).length;
  const orgs = scenario.organizations?.length ?? 0;
  const inOrgs = orgs > 0 ? ` in ${orgs + 1} organizations` : "";
  opts.log?.(
    `Polytomic simulator listening on ${sim.url} (${syncs} sync${syncs === 1 ? "" : "s"}${inOrgs} from ${scenario.source}` +
      `${opts.speed !== undefined ? `, ${opts.speed}x speed` : ""})`,
  );
  return sim;
}

function parseNumber(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new Error(`--${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", short: "p" },
      scenario: { type: "string", short: "s" },
      speed: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: serve.ts [--port N] [--scenario FILE] [--speed N]");
    return;
  }
  const port = parseNumber("port", values.port, 0);
  const speed = parseNumber("speed", values.speed, Number.MIN_VALUE);
  const sim = await serve({
    ...(port !== undefined ? { port } : {}),
    ...(values.scenario !== undefined ? { scenarioPath: values.scenario } : {}),
    ...(speed !== undefined ? { speed } : {}),
    log: (line) => console.log(line),
  });
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
