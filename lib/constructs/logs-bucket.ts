import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

export interface LogsBucketProps {
  /**
   * Objects (the runs' exported logs) are deleted after this long.
   * @default Duration.days(90)
   */
  readonly expiration?: Duration;
  /**
   * Keep previous versions of overwritten objects (they expire after `expiration` too).
   * @default false
   */
  readonly versioned?: boolean;
  /**
   * Bucket receiving S3 server access logs.
   * @default - no server access logs (acknowledged in the stack's cdk-nag suppressions)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/**
 * The bucket the runs' logs are exported to: S3-managed encryption, TLS only, all
 * public access blocked, objects expire after a configurable time.
 */
export class LogsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LogsBucketProps = {}) {
    super(scope, id);
    const expiration = props.expiration ?? Duration.days(90);
    if (
      expiration.toDays({ integral: false }) < 1 ||
      !Number.isInteger(expiration.toDays({ integral: false }))
    ) {
      throw new Error(
        `LogsBucket expiration must be a whole number of days, at least 1 (S3 lifecycle rules count in days), got ${expiration.toHumanString()}`,
      );
    }
    const days = Duration.days(expiration.toDays());
    this.bucket = new s3.Bucket(this, "Bucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? "logs-bucket/" : undefined,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: "expire-logs",
          expiration: days,
          noncurrentVersionExpiration: props.versioned ? days : undefined,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
