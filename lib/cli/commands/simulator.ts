import { resolve } from "node:path";
import { serve } from "../../../simulator/serve";
import {
  commandSpec,
  EnvironmentError,
  parseCommandArgs,
  parsePort,
  parseSpeed,
  SPEED_OPTION,
  stringValue,
} from "../args";
import { loadScenarioFile, SCENARIO_OPTION } from "../config";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

/** The address the simulator listens on. */
const HOST = "127.0.0.1";

export const SIMULATOR = commandSpec({
  name: "simulator",
  usage: "simulator [--port N] [--scenario FILE] [--speed N]",
  description: `Starts the Polytomic API simulator on ${HOST} and prints its URL. Stops on Ctrl-C.`,
  positionals: 0,
  options: [
    {
      name: "port",
      type: "string",
      value: "N",
      description: "port to listen on",
      default: "any free port",
    },
    { ...SCENARIO_OPTION, default: "none" },
    { ...SPEED_OPTION, default: "1, the wall clock" },
  ],
});

/**
 * The error to report when listening on `port` failed because the port is taken or not
 * permitted.
 */
export function listenProblem(err: unknown, port: number): EnvironmentError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.syscall !== "listen") return undefined;
  const others = "choose another --port (--port 0 picks a free one)";
  if (e.code === "EADDRINUSE") {
    return new EnvironmentError(
      `simulator: port ${port} on ${HOST} is already in use; stop what is listening there or ${others}`,
    );
  }
  if (e.code === "EACCES" || e.code === "EPERM") {
    return new EnvironmentError(
      `simulator: not permitted to listen on port ${port} on ${HOST}${
        port < 1024 ? " (ports below 1024 need privileges)" : ""
      }; ${others}`,
    );
  }
  return undefined;
}

/**
 * `simulator [--port N] [--scenario FILE] [--speed N]`: the standalone simulator on
 * 127.0.0.1. Prints its URL, then serves until SIGINT or SIGTERM.
 * @throws UsageError, ScenarioError, EnvironmentError (the port is in use or not permitted) (exit 2)
 */
export async function simulatorCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(SIMULATOR, args);
  if (helpRequested(SIMULATOR, parsed, io)) return 0;
  const port = parsePort(stringValue(parsed, "port"));
  const speed = parseSpeed(stringValue(parsed, "speed"));
  const scenario = stringValue(parsed, "scenario");
  // Read here first so that a bad file is reported as the other commands report it.
  if (scenario !== undefined) loadScenarioFile(io.cwd, scenario);
  const sim = await serve({
    ...(port !== undefined ? { port } : {}),
    ...(scenario !== undefined ? { scenarioPath: resolve(io.cwd, scenario) } : {}),
    ...(speed !== undefined ? { speed } : {}),
    log: (line) => io.stdout.write(`${line}\n`),
  }).catch((err: unknown) => {
    throw listenProblem(err, port ?? 0) ?? err;
  });
  const onSignal = io.onSignal;
  if (onSignal !== undefined) {
    await new Promise<void>((done) => {
      const stop = onSignal(() => {
        stop();
        done();
        return true;
      });
    });
  }
  await sim.close();
  io.stdout.write("Polytomic simulator stopped\n");
  return 0;
}
