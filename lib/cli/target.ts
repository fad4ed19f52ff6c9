/**
 * Where a CLI command talks to Polytomic: the embedded simulator (the default, serving
 * `--scenario FILE` or a scenario the command generates) or the real API (`--live`, its
 * credential and POLYTOMIC_API_URL from the environment). One place owns the choice and
 * its conflicts, the simulator's start and close, the live credential and address checks,
 * and how the API is named in messages; each command keeps its own clock.
 */
import { DEFAULT_BASE_URL, PolytomicClient } from "../../functions/polytomic/client";
import { type Clock, type RunningSimulator, type Scenario, startSimulator } from "../../simulator";
import { CredentialError, UsageError } from "./args";
import { displayPath, loadScenarioFile } from "./config";
import type { CliIO } from "./io";

/** Sent to the embedded simulator when neither the scenario nor the environment gives a key. */
export const LOCAL_API_KEY = "local-simulator-key";

/**
 * The key a command sends: an organization's API key, or the partner key (`whereis`: Get
 * Partner Entity needs the spec's `bearerPartnerKey`).
 */
export type Credential = "api" | "partner";

/** The environment variable `--live` reads each credential from. */
const LIVE_KEY_VARIABLE: Record<Credential, string> = {
  api: "POLYTOMIC_API_KEY",
  partner: "POLYTOMIC_PARTNER_KEY",
};

/** What the credential is called in the message when it is missing. */
const KEY_MEANING: Record<Credential, string> = {
  api: "a Polytomic API key",
  partner: "the Polytomic partner key",
};

/** The API a command talks to, and how to let it go. */
export interface ApiTarget {
  baseUrl: string;
  /** Never printed. */
  apiKey: string;
  client: PolytomicClient;
  /** How the API is named in messages ("the embedded simulator (scenario: …)", "the Polytomic API at …"). */
  description: string;
  /** Where the key came from, for the message when it is refused. */
  keyHint: string;
  /** The embedded simulator serving the calls; none with --live. */
  simulator?: RunningSimulator;
  /** Stops the embedded simulator; nothing to do for the real API. */
  close(): Promise<void>;
}

/** Which API the command line asks for. */
export interface TargetChoice {
  live: boolean;
  /** `--scenario FILE`, as given; undefined with --live. */
  scenarioPath: string | undefined;
}

/**
 * `--live` against the options only the embedded simulator takes (`--scenario`, and for
 * `run` `--speed`), given as option name → value given (undefined when not given).
 * @throws UsageError naming the options given with --live
 */
export function chooseTarget(
  command: string,
  live: boolean,
  embeddedOnly: Readonly<Record<string, string | undefined>> & { scenario: string | undefined },
): TargetChoice {
  const given = Object.entries(embeddedOnly)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => `--${name}`);
  if (live && given.length > 0) {
    const many = given.length > 1;
    throw new UsageError(
      `${command}: ${given.join(" and ")} ${many ? "are" : "is"} for the embedded simulator; ` +
        `${many ? "they" : "it"} cannot be combined with --live (drop ${many ? "them" : "it"})`,
    );
  }
  return { live, scenarioPath: embeddedOnly.scenario };
}

/** A scenario to serve and how it is named in messages. */
export interface NamedScenario {
  scenario: Scenario;
  /** The file as the person gave it, relative to the working directory, or the fallback's name. */
  shown: string;
}

/** The scenario a command serves without `--scenario`. */
export interface FallbackScenario {
  scenario: () => Scenario;
  /** How it is named in messages ("generated", "empty"). */
  name: string;
}

/**
 * The scenario `--scenario` names, else the command's own.
 * @throws ScenarioError when the file cannot be read or is not a scenario
 */
export function chooseScenario(
  scenarioPath: string | undefined,
  io: CliIO,
  fallback: FallbackScenario,
): NamedScenario {
  if (scenarioPath === undefined) return { scenario: fallback.scenario(), shown: fallback.name };
  const scenario = loadScenarioFile(io.cwd, scenarioPath);
  return { scenario, shown: displayPath(scenario.source, io.cwd) };
}

/** How a command opens its API. */
export interface OpenOptions {
  /** The command, as messages name it. */
  command: string;
  /** The embedded simulator's clock (the command's choice; unused with --live). */
  clock: Clock;
  credential?: Credential;
  fallback: FallbackScenario;
}

/**
 * The API `choice` names: the real one (openLive) or the embedded simulator serving the
 * chosen scenario (openEmbedded). The caller closes it.
 * @throws CredentialError, UsageError, ScenarioError
 */
export async function openTarget(
  choice: TargetChoice,
  io: CliIO,
  options: OpenOptions,
): Promise<ApiTarget> {
  if (choice.live) return openLive(io, options.command, options.credential);
  return openEmbedded(chooseScenario(choice.scenarioPath, io, options.fallback), io, options);
}

/** The key sent to the embedded simulator: the scenario's, else POLYTOMIC_API_KEY's, else any. */
export function embeddedKey(scenario: Scenario, io: CliIO): string {
  return scenario.api_key ?? nonEmpty(io.env.POLYTOMIC_API_KEY) ?? LOCAL_API_KEY;
}

/** Where the embedded simulator's key came from, for the message when it is refused. */
export function embeddedKeyHint(named: NamedScenario, credential: Credential = "api"): string {
  if (credential === "partner") return `partner_key in ${named.shown}`;
  return named.scenario.api_key !== undefined ? `api_key in ${named.shown}` : "POLYTOMIC_API_KEY";
}

/** How the embedded simulator serving `named` is named in messages. */
export function embeddedDescription(named: NamedScenario): string {
  return `the embedded simulator (scenario: ${named.shown})`;
}

/**
 * Starts the embedded simulator serving `named` on `clock`, every answer checked against
 * the spec (as the standalone simulator and the tests do).
 * @throws CredentialError for the partner credential when the scenario has no partner_key
 */
export async function openEmbedded(
  named: NamedScenario,
  io: CliIO,
  options: Omit<OpenOptions, "fallback">,
): Promise<ApiTarget> {
  const { clock, credential = "api" } = options;
  const apiKey =
    credential === "partner"
      ? partnerKeyOf(named, options.command)
      : embeddedKey(named.scenario, io);
  const simulator = await startSimulator({
    scenario: named.scenario,
    clock,
    host: "127.0.0.1",
    validateResponses: true,
  });
  return {
    baseUrl: simulator.url,
    apiKey,
    client: new PolytomicClient({ baseUrl: simulator.url, apiKey }),
    description: embeddedDescription(named),
    keyHint: embeddedKeyHint(named, credential),
    simulator,
    close: () => simulator.close(),
  };
}

/**
 * The scenario's partner key.
 * @throws CredentialError when the scenario has no partner_key
 */
export function partnerKeyOf(named: NamedScenario, command: string): string {
  if (named.scenario.partner_key === undefined) {
    throw new CredentialError(
      `${command}: the scenario (${named.shown}) has no partner_key, so the embedded simulator has no ` +
        "partner to look up entities for (docs/partners.md)",
    );
  }
  return named.scenario.partner_key;
}

/**
 * The real API, for `command --live`: the credential from its environment variable, the
 * address from POLYTOMIC_API_URL (default DEFAULT_BASE_URL).
 * @throws CredentialError when the variable is not set; UsageError for an address that is not an http(s) URL
 */
export function openLive(io: CliIO, command: string, credential: Credential = "api"): ApiTarget {
  const variable = LIVE_KEY_VARIABLE[credential];
  const apiKey = nonEmpty(io.env[variable]);
  if (apiKey === undefined) {
    throw new CredentialError(
      `${command} --live: the ${variable} environment variable is not set; set it to ${KEY_MEANING[credential]} ` +
        "(or run without --live to use the embedded simulator)",
    );
  }
  const baseUrl = liveBaseUrl(io, command);
  return {
    baseUrl,
    apiKey,
    client: new PolytomicClient({ baseUrl, apiKey }),
    description: `the Polytomic API at ${new URL(baseUrl).origin}`,
    keyHint: variable,
    close: async () => {},
  };
}

/**
 * POLYTOMIC_API_URL without trailing slashes, else DEFAULT_BASE_URL.
 * @throws UsageError when it is not an http(s) URL
 */
function liveBaseUrl(io: CliIO, command: string): string {
  const baseUrl = (nonEmpty(io.env.POLYTOMIC_API_URL) ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`${command} --live: POLYTOMIC_API_URL is not a URL: "${baseUrl}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(
      `${command} --live: POLYTOMIC_API_URL must be an http(s) URL, got "${baseUrl}"`,
    );
  }
  return baseUrl;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}
