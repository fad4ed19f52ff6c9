/**
 * Schedule expressions: standard 5-field cron and rates, converted to the forms
 * EventBridge Scheduler accepts (`cron(min hour dom month dow year)`, `rate(N unit)`).
 *
 * Hand-written on purpose: the conversion has to keep each field's structure (lists,
 * ranges, steps) and rewrite day-of-week numbering field by field, which a generic
 * cron parser (that expands fields into sets of values) does not give back.
 */

/** A schedule expression that cannot be used; the message names the field and value. */
export class ScheduleExpressionError extends Error {
  override name = "ScheduleExpressionError";
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0] in the numbering (JAN = 1, SUN = 0). */
  nameBase?: number;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  // Standard cron: 0-7, both 0 and 7 are Sunday.
  { name: "day-of-week", min: 0, max: 7, names: DAYS, nameBase: 0 },
];

const FIELD_LIST = FIELDS.map((f) => f.name).join(" ");

/** One list element of a cron field, parsed: the values it covers and how to write it back. */
interface Element {
  start: number;
  end: number;
  step: number;
  /** The element was `*` or `*​/step`. */
  star: boolean;
}

function fail(cron: string, detail: string): never {
  throw new ScheduleExpressionError(`invalid cron "${cron}": ${detail}`);
}

function parseValue(cron: string, field: FieldSpec, raw: string, text: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      fail(cron, `${field.name} "${raw}": ${value} is out of range ${field.min}-${field.max}`);
    }
    return value;
  }
  if (field.names) {
    const index = field.names.indexOf(text.toUpperCase());
    if (index >= 0) return index + (field.nameBase ?? 0);
    fail(
      cron,
      `${field.name} "${raw}": "${text}" is neither a number ${field.min}-${field.max} nor one of ${field.names.join(", ")}`,
    );
  }
  fail(cron, `${field.name} "${raw}": "${text}" is not a number ${field.min}-${field.max}`);
}

function parseElement(cron: string, field: FieldSpec, raw: string, element: string): Element {
  if (element === "") fail(cron, `${field.name} "${raw}": empty list element`);
  const parts = element.split("/");
  if (parts.length > 2) fail(cron, `${field.name} "${raw}": more than one "/" in "${element}"`);
  const [base = "", stepText] = parts;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      fail(cron, `${field.name} "${raw}": step "${stepText}" must be a whole number of at least 1`);
    }
    step = Number(stepText);
    const span = field.max - field.min + 1;
    if (step > span) {
      fail(
        cron,
        `${field.name} "${raw}": step ${step} is larger than the field's range ${field.min}-${field.max}`,
      );
    }
  }
  if (base === "*") return { start: field.min, end: field.max, step, star: true };
  const range = base.split("-");
  if (range.length > 2) fail(cron, `${field.name} "${raw}": "${base}" is not a valid range`);
  const start = parseValue(cron, field, raw, range[0] ?? "");
  if (range.length === 2) {
    const end = parseValue(cron, field, raw, range[1] ?? "");
    if (end < start) {
      fail(cron, `${field.name} "${raw}": range "${base}" ends before it starts`);
    }
    return { start, end, step, star: false };
  }
  if (stepText === undefined) return { start, end: start, step, star: false };
  if (field.name === "day-of-week") {
    // Day-of-week ends at 6 or at 7 (Sunday again) depending on the implementation:
    // `1/2` is MON,WED,FRI for some and adds SUN for others. Only a range says which.
    fail(
      cron,
      `${field.name} "${raw}": "${element}" does not say whether it reaches 7 (Sunday again): write a range such as ${start}-6/${step} or ${start}-7/${step}`,
    );
  }
  // `5/15` means from 5 to the end of the field, every 15.
  return { start, end: field.max, step, star: false };
}

function parseField(cron: string, field: FieldSpec, raw: string): Element[] {
  return raw.split(",").map((element) => parseElement(cron, field, raw, element));
}

/** Writes a (non day-of-week) field for EventBridge: same structure, `*​/n` as `min/n`. */
function formatField(field: FieldSpec, elements: Element[]): string {
  return elements
    .map((e) => {
      if (e.star) return e.step === 1 ? "*" : `${field.min}/${e.step}`;
      // One value, whatever its step (`5-5/2`): EventBridge reads `5/2` as 5, 7, 9, ...
      if (e.start === e.end) return `${e.start}`;
      const base = `${e.start}-${e.end}`;
      if (e.step === 1) return base;
      return e.end === field.max ? `${e.start}/${e.step}` : `${base}/${e.step}`;
    })
    .join(",");
}

/**
 * Day of week, rewritten as names (EventBridge numbers days 1-7 from SUN, standard
 * cron 0-7 from SUN with 7 = SUN again): the set of days, as ranges of 3+ days and
 * single days, in EventBridge order (SUN first). All seven days become `*`.
 */
function formatDaysOfWeek(elements: Element[]): string {
  const days = new Set<number>();
  for (const e of elements) {
    for (let d = e.start; d <= e.end; d += e.step) days.add(d % 7);
  }
  if (days.size === 7) return "*";
  const out: string[] = [];
  let d = 0;
  while (d < 7) {
    if (!days.has(d)) {
      d++;
      continue;
    }
    let end = d;
    while (end + 1 < 7 && days.has(end + 1)) end++;
    if (end - d >= 2) out.push(`${DAYS[d]}-${DAYS[end]}`);
    else for (let x = d; x <= end; x++) out.push(DAYS[x] as string);
    d = end + 1;
  }
  return out.join(",");
}

/** `*` and `?` leave a day field unrestricted. */
function isUnrestricted(raw: string): boolean {
  return raw === "*" || raw === "?";
}

/**
 * Converts a standard 5-field cron (`minute hour day-of-month month day-of-week`) to
 * EventBridge Scheduler's `cron(minute hour day-of-month month day-of-week year)`.
 *
 * Supports `*`, numbers, names (JAN-DEC, SUN-SAT), lists, ranges and steps. Exactly
 * one of the day fields becomes `?`; when both are restricted standard cron runs on
 * either match, which EventBridge cannot express, so that is an error.
 *
 * @throws ScheduleExpressionError naming the field and value at fault.
 */
export function cronToEventBridge(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || cron.trim() === "") {
    const count = cron.trim() === "" ? 0 : fields.length;
    const hint = /^cron\(/i.test(cron.trim())
      ? ' (write standard cron such as "0 2 * * 1-5", not an EventBridge cron(...) expression)'
      : "";
    fail(cron, `expected 5 fields (${FIELD_LIST}), got ${count}${hint}`);
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const specs = FIELDS as [FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec];
  const minuteOut = formatField(specs[0], parseField(cron, specs[0], minute));
  const hourOut = formatField(specs[1], parseField(cron, specs[1], hour));
  const monthOut = formatField(specs[3], parseField(cron, specs[3], month));
  const domOut = dom === "?" ? "?" : formatField(specs[2], parseField(cron, specs[2], dom));
  const dowOut = dow === "?" ? "?" : formatDaysOfWeek(parseField(cron, specs[4], dow));

  let dayOfMonth: string;
  let dayOfWeek: string;
  if (isUnrestricted(dow)) {
    dayOfMonth = domOut === "?" ? "*" : domOut;
    dayOfWeek = "?";
  } else if (isUnrestricted(dom)) {
    dayOfMonth = "?";
    dayOfWeek = dowOut;
  } else {
    fail(
      cron,
      `day-of-month "${dom}" and day-of-week "${dow}" are both restricted; standard cron runs when either matches, which EventBridge Scheduler cannot express: set one of them to *`,
    );
  }
  return `cron(${minuteOut} ${hourOut} ${dayOfMonth} ${monthOut} ${dayOfWeek} *)`;
}

const RATE_UNITS: Record<string, "minute" | "hour" | "day"> = {
  minute: "minute",
  minutes: "minute",
  hour: "hour",
  hours: "hour",
  day: "day",
  days: "day",
};

/**
 * Converts `5 minutes`, `1 hour`, `2 days` or `rate(5 minutes)` to EventBridge's
 * `rate(N unit)`, with the singular unit for 1 and the plural otherwise, as AWS requires.
 *
 * @throws ScheduleExpressionError when the value or the unit is not valid.
 */
export function rateToEventBridge(rate: string): string {
  const trimmed = rate.trim();
  const inner = /^rate\((.*)\)$/i.exec(trimmed)?.[1] ?? trimmed;
  const match = /^(\S+)\s+(\S+)$/.exec(inner.trim());
  if (!match) {
    throw new ScheduleExpressionError(
      `invalid rate "${rate}": expected a number and a unit, such as "5 minutes", "1 hour" or "2 days"`,
    );
  }
  const [, valueText = "", unitText = ""] = match;
  if (!/^\d+$/.test(valueText) || Number(valueText) < 1) {
    throw new ScheduleExpressionError(
      `invalid rate "${rate}": "${valueText}" is not a whole number of at least 1`,
    );
  }
  const unit = RATE_UNITS[unitText.toLowerCase()];
  if (!unit) {
    throw new ScheduleExpressionError(
      `invalid rate "${rate}": unknown unit "${unitText}" (use minutes, hours or days)`,
    );
  }
  const value = Number(valueText);
  return `rate(${value} ${value === 1 ? unit : `${unit}s`})`;
}

/** The values a standard 5-field cron's fields cover. */
export interface CronValues {
  minutes: readonly number[];
  hours: readonly number[];
  /** Undefined when day-of-month is unrestricted (`*` or `?`). */
  daysOfMonth?: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0-6 from Sunday; undefined when day-of-week is unrestricted (`*` or `?`). */
  daysOfWeek?: ReadonlySet<number>;
}

/**
 * The values each field of `cron` covers, for reasoning about when it fires.
 * @throws ScheduleExpressionError as cronToEventBridge does (it validates first)
 */
export function cronValues(cron: string): CronValues {
  cronToEventBridge(cron);
  const [minute, hour, dom, month, dow] = cron.trim().split(/\s+/) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const specs = FIELDS as [FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec];
  const expand = (spec: FieldSpec, raw: string, wrap = Number.POSITIVE_INFINITY): number[] => {
    const values = new Set<number>();
    for (const e of parseField(cron, spec, raw)) {
      for (let v = e.start; v <= e.end; v += e.step) values.add(v % wrap);
    }
    return [...values].sort((a, b) => a - b);
  };
  return {
    minutes: expand(specs[0], minute),
    hours: expand(specs[1], hour),
    ...(isUnrestricted(dom) ? {} : { daysOfMonth: new Set(expand(specs[2], dom)) }),
    months: new Set(expand(specs[3], month)),
    ...(isUnrestricted(dow) ? {} : { daysOfWeek: new Set(expand(specs[4], dow, 7)) }),
  };
}
