import { closest } from "./suggest";

/** IANA time zone names, checked against the runtime's time zone database (Intl). */

let known: Set<string> | undefined;

function knownZones(): Set<string> {
  known ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
  return known;
}

function accepted(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `zone` cannot be used as a schedule time zone, or undefined when it can. Accepts
 * the canonical IANA names and the aliases Intl knows (US/Eastern, Etc/GMT+5), spelled
 * with their exact case; rejects offsets such as +02:00, which are not IANA names.
 */
export function timeZoneProblem(zone: string): string | undefined {
  const zones = knownZones();
  if (zones.has(zone)) return undefined;
  const isName = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(zone);
  if (isName && accepted(zone)) {
    // Intl is case-insensitive; EventBridge Scheduler is not.
    const canonical = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions()
      .timeZone;
    if (zone.toLowerCase() !== canonical.toLowerCase() || zone === canonical) return undefined;
    return `unknown time zone "${zone}" (did you mean "${canonical}"?)`;
  }
  const lower = zone.toLowerCase();
  const suggestion = [...zones].find((z) => z.toLowerCase() === lower) ?? closest(zone, zones);
  const hint = suggestion
    ? ` (did you mean "${suggestion}"?)`
    : ": use an IANA name such as America/New_York, Europe/Paris or UTC";
  return `unknown time zone "${zone}"${hint}`;
}
