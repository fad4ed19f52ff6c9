import { resolve } from "node:path";
import { serve } from "../../../simulator/serve";
import { flag, parseCommandArgs, parsePort, parseSpeed, stringValue } from "../args";
import { SIMULATOR_HELP } from "../help";
import type { CliIO } from "../io";

/**
 * `simulator [--port N] [--scenario FILE] [--speed N]`: the standalone simulator on
 * 127.0.0.1. Prints its URL, then serves until SIGINT or SIGTERM.
 */
export async function simulatorCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    "simulator",
    args,
    { port: { type: "string" }, scenario: { type: "string" }, speed: { type: "string" } },
    0,
  );
  if (flag(parsed, "help")) {
    io.stdout.write(SIMULATOR_HELP);
    return 0;
  }
  const port = parsePort(stringValue(parsed, "port"));
  const speed = parseSpeed(stringValue(parsed, "speed"));
  const scenario = stringValue(parsed, "scenario");
  const sim = await serve({
    ...(port !== undefined ? { port } : {}),
    ...(scenario !== undefined ? { scenarioPath: resolve(io.cwd, scenario) } : {}),
    ...(speed !== undefined ? { speed } : {}),
    log: (line) => io.stdout.write(`${line}\n`),
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
