/**
 * Where a report links an exported log. A local run's report links the file relative to
 * report.html (lib/report/write.ts); a deployed run's links the object's page in the S3
 * console when the logs bucket is known (the pipeline machine's logs-bucket tag, or the
 * widget's `logsBucket` parameter), else shows the bare key.
 *
 * The console's object page: `https://<region>.console.aws.amazon.com/s3/object/<bucket>
 * ?region=<region>&prefix=<key>` (the form the console itself links, e.g. in AWS's own
 * samples and Terraform outputs). Only the standard `aws` partition has that console
 * host; elsewhere (China, GovCloud) the key is shown without a link.
 */

/** Where a deployed run's logs are: the bucket, and the region (of the stack). */
export interface LogsLocation {
  bucket: string;
  region: string;
}

/** The S3 console's page of one object; every part URL-encoded. */
export function s3ConsoleObjectUrl(location: LogsLocation, key: string): string {
  const region = encodeURIComponent(location.region);
  return `https://${region}.console.aws.amazon.com/s3/object/${encodeURIComponent(location.bucket)}?region=${region}&prefix=${encodeURIComponent(key)}`;
}

/** `arn:<partition>:states:<region>:...`: the partition and region of an ARN. */
function arnParts(arn: string): { partition: string; region: string } | undefined {
  const [prefix, partition, , region] = arn.split(":");
  if (prefix !== "arn" || !partition || !region) return undefined;
  return { partition, region };
}

/**
 * The logs' location of a deployed pipeline: its logs bucket (undefined when not known)
 * in the region of its state machine (the stack's). Undefined when there is no console
 * page to link (bucket unknown, or not the `aws` partition).
 */
export function logsLocation(
  bucket: string | undefined,
  stateMachineArn: string,
): LogsLocation | undefined {
  const parts = arnParts(stateMachineArn);
  if (bucket === undefined || bucket === "" || parts?.partition !== "aws") return undefined;
  return { bucket, region: parts.region };
}

/**
 * A log key's link in a deployed run's report: its console page, or (location unknown)
 * no link at all (null: the report shows the key as text).
 */
export function deployedLogHref(
  location: LogsLocation | undefined,
): (key: string) => string | null {
  return (key) => (location ? s3ConsoleObjectUrl(location, key) : null);
}
