/**
 * The shape of the call tables: which AWS API calls a resource type, a data source or a command-line tool makes, and
 * which IAM actions each call needs. The tables are data taken from their sources (the Terraform AWS provider's Go
 * code for the Pulumi AWS provider, the tools' own SDK calls); this file only says how they are written.
 */

/** A lifecycle step of a resource: what `pulumi up` (create, update, delete) and `pulumi preview --refresh` (read) do. */
export type Phase = "create" | "read" | "update" | "delete";

export interface ApiCall {
    /** The API operation as `<iam prefix>:<Operation>` (e.g. "s3:GetBucketEncryption", "ecr:DescribeRepositories"). */
    api: string;
    /**
     * The IAM actions the call needs, when they are not exactly `api`: S3's GetBucketEncryption is authorized as
     * s3:GetEncryptionConfiguration; a create that passes tags also needs the service's tagging action.
     */
    actions?: string[];
    /**
     * What the call is authorized against. By default the resource itself; `{ input }` names the input that holds the
     * name, id or ARN of the resource it acts on (a bucket policy acts on its `bucket`).
     */
    on?: { input: string };
    /** The call is made only when this input is set (tags, an optional configuration block). */
    when?: string;
    /** The call passes the IAM roles in these inputs to a service (iam:PassRole with iam:PassedToService). */
    passesRoles?: { inputs: string[]; to: string };
    /**
     * The service (iam:AWSServiceName) whose service-linked role the call creates with the caller's permission, the
     * first time the account uses that service: `iam:CreateServiceLinkedRole` on that role.
     */
    serviceLinkedRole?: { service: string; roleName: string };
    /**
     * Made only in a case the project's stacks never produce, said in words (an input being removed, an ENI another
     * service left behind): listed for completeness, not evaluated.
     */
    onlyWhen?: string;
}

export interface ResourceCalls {
    /** Files in hashicorp/terraform-provider-aws that make the calls. */
    source: string[];
    create: ApiCall[];
    read: ApiCall[];
    update: ApiCall[];
    delete: ApiCall[];
}

export interface DataSourceCalls {
    source: string[];
    read: ApiCall[];
}

/** A remote (multi-language) component: opaque under mocks, so its children are listed from its own source. */
export interface ComponentChildren {
    source: string;
    /** The resource types it registers, and the data sources it invokes. */
    resources: string[];
    invokes: string[];
    /** The inputs it sets on each child type, so the children's conditional calls are judged as made or not. */
    childInputs: Record<string, string[]>;
    /** The child type that also receives the component's own arguments as inputs. */
    argumentsPassedTo?: string;
    /** Children it registers only for some arguments: type → the argument (a dotted path) and the values that leave it out. */
    omittedWhen?: Record<string, { argument: string; values: string[] }>;
}
