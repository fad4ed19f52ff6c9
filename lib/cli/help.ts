/** The `--help` texts. */

import { DEFAULT_BASE_URL } from "../../functions/polytomic/client";

export const PROGRAM = "polytomic-orchestrator";

export const MAIN_HELP = `${PROGRAM}: run Polytomic bulk and model syncs in dependency order

Usage:
  ${PROGRAM} run <pipeline> [options]     run a pipeline locally, as Step Functions would
  ${PROGRAM} validate [--config FILE]     check the pipelines file
  ${PROGRAM} doctor [--config FILE] [--live]
                                          check the API key, every step's sync, and what
                                          will hurt on AWS (overlaps, history limits)
  ${PROGRAM} graph <pipeline> [options]   print a pipeline's dependency graph
  ${PROGRAM} simulator [options]          start the standalone Polytomic simulator

Run "${PROGRAM} <command> --help" for a command's options; "${PROGRAM} --version"
prints the version.

Exit codes: 0 success, 1 the pipeline failed, 2 usage, configuration or credential error
(or a port or directory that cannot be used), 70 internal error (a bug; DEBUG=1 prints
its stack trace).
`;

export const RUN_HELP = `Usage: ${PROGRAM} run <pipeline> [options]

Runs the pipeline's synthesized state machines locally (no AWS). By default against an
embedded Polytomic simulator in which every sync succeeds; logs and metrics go to --out.
Before any step starts, one call checks the API key and every step's sync is resolved
(with "did you mean" for names); a problem there is exit 2 with nothing started.

Options:
  --config FILE    pipelines file (default: pipelines.yaml in the current directory)
  --scenario FILE  simulator scenario (YAML or JSON) instead of the generated one
  --speed N        simulated seconds per real second (default: as fast as possible)
  --live           use the real Polytomic API: needs POLYTOMIC_API_KEY; POLYTOMIC_API_URL
                   overrides the API address (default ${DEFAULT_BASE_URL})
  --json           print only a JSON report on stdout (no live display)
  --out DIR        where logs and metrics are written (default: .local)
  -h, --help       this help

Environment:
  POLYTOMIC_API_KEY  API key (required with --live; sent to the embedded simulator otherwise)
  POLYTOMIC_API_URL  API address for --live

Exit codes: 0 the pipeline succeeded, 1 it failed, 2 usage, configuration or credential error
(or an --out directory that cannot be written), 70 internal error (a bug).
`;

export const VALIDATE_HELP = `Usage: ${PROGRAM} validate [--config FILE]

Checks the pipelines file and prints every problem with its file, pipeline, step and field.

Options:
  --config FILE  pipelines file (default: pipelines.yaml in the current directory)
  -h, --help     this help

Exit codes: 0 valid, 2 problems found (or the file cannot be read).
`;

export const DOCTOR_HELP = `Usage: ${PROGRAM} doctor [--config FILE] [--live]

Checks every pipeline in the file as "run" would before starting it (the API key, each
step's sync by id or name, inactive syncs), and warns about what will hurt on AWS: a
schedule that fires again within the pipeline's timeout (overlapping runs), a cron that
never fires, and polling whose worst case nears the 25,000-event execution history limit.

Options:
  --config FILE  pipelines file (default: pipelines.yaml in the current directory)
  --live         check against the real Polytomic API (POLYTOMIC_API_KEY, POLYTOMIC_API_URL);
                 otherwise the embedded simulator, whose generated scenario has every sync
  -h, --help     this help

Exit codes: 0 nothing stops a run (warnings may be printed), 2 a problem in the file, the
key or a step's sync.
`;

export const GRAPH_HELP = `Usage: ${PROGRAM} graph <pipeline> [--config FILE] [--format mermaid|dot]

Prints the pipeline's steps and dependencies as diagram source on stdout.

Options:
  --config FILE    pipelines file (default: pipelines.yaml in the current directory)
  --format FORMAT  mermaid (default) or dot (Graphviz)
  -h, --help       this help
`;

export const SIMULATOR_HELP = `Usage: ${PROGRAM} simulator [--port N] [--scenario FILE] [--speed N]

Starts the Polytomic API simulator on 127.0.0.1 and prints its URL. Stops on Ctrl-C.

Options:
  --port N         port to listen on (default: any free port)
  --scenario FILE  scenario (YAML or JSON) saying how each sync behaves (default: none)
  --speed N        simulated seconds per real second (default: 1, the wall clock)
  -h, --help       this help
`;
