/**
 * The AWS API calls the Pulumi AWS provider (terraform-provider-aws v6, 2026 sources) makes for the IAM, S3 and KMS
 * resource types the project declares, read from hashicorp/terraform-provider-aws (files cited per entry).
 *
 * Tags: the account provider's defaultTags (components/provider.ts) put tags on every resource, so the tag-on-create
 * actions listed with a create call are always needed. SDKv2 resources without their own tag read get their tags from
 * the transparent tagging interceptor (internal/provider/sdkv2/tags_interceptor.go): ListTags after every read,
 * UpdateTags before an update whose tags_all changed.
 */
import type { ResourceCalls } from "../types";

const BUCKET = { input: "bucket" };
const ROLE = { input: "role" };
const KEY = { input: "targetKeyId" };

const BUCKET_READ = [
    // findBucket, then manager.GetBucketRegion (a second HeadBucket) for bucket_region and the regional domain name.
    { api: "s3:HeadBucket", actions: ["s3:ListBucket"] },
    { api: "s3:GetBucketPolicy" },
    { api: "s3:GetBucketAcl" },
    { api: "s3:GetBucketCors", actions: ["s3:GetBucketCORS"] },
    { api: "s3:GetBucketWebsite" },
    { api: "s3:GetBucketVersioning" },
    { api: "s3:GetBucketAccelerateConfiguration", actions: ["s3:GetAccelerateConfiguration"] },
    { api: "s3:GetBucketRequestPayment" },
    { api: "s3:GetBucketLogging" },
    { api: "s3:GetBucketLifecycleConfiguration", actions: ["s3:GetLifecycleConfiguration"] },
    { api: "s3:GetBucketReplication", actions: ["s3:GetReplicationConfiguration"] },
    { api: "s3:GetBucketEncryption", actions: ["s3:GetEncryptionConfiguration"] },
    { api: "s3:GetObjectLockConfiguration", actions: ["s3:GetBucketObjectLockConfiguration"] },
    { api: "s3:GetBucketTagging" }, // tags interceptor ListTags
];

// readRoleInlinePolicies and findRoleAttachedPolicies run on every read, inline_policy/managed_policy_arns set or not.
const ROLE_READ = [
    { api: "iam:GetRole" }, // tags come with the role: no ListRoleTags; also polled by waitRoleARNIsNotUniqueID
    { api: "iam:ListRolePolicies" },
    { api: "iam:GetRolePolicy" }, // once per inline policy on the role (RolePolicy resources included)
    { api: "iam:ListAttachedRolePolicies" },
];

const POLICY_READ = [{ api: "iam:GetPolicy" }, { api: "iam:GetPolicyVersion" }]; // GetPolicy returns the tags

const KEY_READ = [
    { api: "kms:DescribeKey" },
    { api: "kms:GetKeyPolicy" },
    { api: "kms:GetKeyRotationStatus" },
    { api: "kms:ListResourceTags" },
];

export const IAM_S3_KMS_RESOURCES: Record<string, ResourceCalls> = {
    "aws:iam/role:Role": {
        source: [
            "internal/service/iam/role.go",
            "internal/service/iam/role_policy_attachment.go",
            "internal/service/iam/instance_profiles_data_source.go",
            "internal/service/iam/tags.go",
        ],
        create: [
            // iam:PermissionsBoundary is a condition on CreateRole, not a separate action.
            { api: "iam:CreateRole", actions: ["iam:CreateRole", "iam:TagRole"] },
            { api: "iam:PutRolePolicy", when: "inlinePolicies" },
            { api: "iam:AttachRolePolicy", when: "managedPolicyArns" },
            ...ROLE_READ,
        ],
        read: ROLE_READ,
        update: [
            { api: "iam:UpdateAssumeRolePolicy" },
            { api: "iam:UpdateRoleDescription", when: "description" },
            { api: "iam:UpdateRole", when: "maxSessionDuration" },
            { api: "iam:PutRolePermissionsBoundary", when: "permissionsBoundary" },
            { api: "iam:DeleteRolePermissionsBoundary", onlyWhen: "permissionsBoundary is removed (every role the stacks create keeps it)" },
            { api: "iam:PutRolePolicy", when: "inlinePolicies" },
            { api: "iam:DeleteRolePolicy", when: "inlinePolicies" },
            { api: "iam:AttachRolePolicy", when: "managedPolicyArns" },
            { api: "iam:DetachRolePolicy", when: "managedPolicyArns" },
            { api: "iam:TagRole", when: "tags" },
            { api: "iam:UntagRole", when: "tags" },
            ...ROLE_READ,
        ],
        delete: [
            { api: "iam:ListInstanceProfilesForRole" },
            { api: "iam:RemoveRoleFromInstanceProfile", onlyWhen: "an instance profile holds the role (the stacks create none)" },
            // hasManaged/hasInline come from state, which a refresh fills with the attachments and inline policies
            // made by RolePolicyAttachment/RolePolicy resources (and forceDetachPolicies forces both).
            { api: "iam:ListAttachedRolePolicies", when: "managedPolicyArns" },
            { api: "iam:DetachRolePolicy", when: "managedPolicyArns" },
            { api: "iam:ListRolePolicies", when: "inlinePolicies" },
            { api: "iam:DeleteRolePolicy", when: "inlinePolicies" },
            { api: "iam:DeleteRole" },
        ],
    },

    "aws:iam/policy:Policy": {
        source: ["internal/service/iam/policy.go", "internal/service/iam/tags.go"],
        create: [{ api: "iam:CreatePolicy", actions: ["iam:CreatePolicy", "iam:TagPolicy"] }, ...POLICY_READ],
        read: POLICY_READ,
        update: [
            { api: "iam:ListPolicyVersions" }, // policyPruneVersions
            { api: "iam:DeletePolicyVersion" }, // only when 5 versions exist: the oldest non-default one
            { api: "iam:CreatePolicyVersion" }, // SetAsDefault unless delayAfterPolicyCreationInMs
            { api: "iam:SetDefaultPolicyVersion", when: "delayAfterPolicyCreationInMs" },
            { api: "iam:TagPolicy", when: "tags" },
            { api: "iam:UntagPolicy", when: "tags" },
            ...POLICY_READ,
        ],
        delete: [
            { api: "iam:ListPolicyVersions" },
            { api: "iam:DeletePolicyVersion" }, // each non-default version
            { api: "iam:DeletePolicy" },
        ],
    },

    "aws:iam/rolePolicy:RolePolicy": {
        source: ["internal/service/iam/role_policy.go"],
        create: [
            { api: "iam:PutRolePolicy", on: ROLE },
            { api: "iam:GetRolePolicy", on: ROLE },
        ],
        read: [{ api: "iam:GetRolePolicy", on: ROLE }],
        update: [
            { api: "iam:PutRolePolicy", on: ROLE },
            { api: "iam:GetRolePolicy", on: ROLE },
        ],
        delete: [{ api: "iam:DeleteRolePolicy", on: ROLE }],
    },

    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        source: ["internal/service/iam/role_policy_attachment.go"],
        create: [
            { api: "iam:AttachRolePolicy", on: ROLE }, // iam:PolicyARN condition names policyArn
            { api: "iam:ListAttachedRolePolicies", on: ROLE },
        ],
        read: [{ api: "iam:ListAttachedRolePolicies", on: ROLE }],
        update: [], // every argument forces replacement
        delete: [{ api: "iam:DetachRolePolicy", on: ROLE }],
    },

    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
        source: ["internal/service/iam/openid_connect_provider.go", "internal/service/iam/tags.go"],
        create: [
            { api: "iam:CreateOpenIDConnectProvider", actions: ["iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"] },
            { api: "iam:GetOpenIDConnectProvider" }, // returns the tags
        ],
        read: [{ api: "iam:GetOpenIDConnectProvider" }],
        update: [
            { api: "iam:UpdateOpenIDConnectProviderThumbprint", when: "thumbprintLists" },
            { api: "iam:AddClientIDToOpenIDConnectProvider", when: "clientIdLists" },
            { api: "iam:RemoveClientIDFromOpenIDConnectProvider", when: "clientIdLists" },
            { api: "iam:TagOpenIDConnectProvider", when: "tags" },
            { api: "iam:UntagOpenIDConnectProvider", when: "tags" },
            { api: "iam:GetOpenIDConnectProvider" },
        ],
        delete: [{ api: "iam:DeleteOpenIDConnectProvider" }],
    },

    "aws:s3/bucket:Bucket": {
        source: [
            "internal/service/s3/bucket.go",
            "internal/service/s3/bucket_policy.go",
            "internal/service/s3/bucket_acl.go",
            "internal/service/s3/bucket_cors_configuration.go",
            "internal/service/s3/bucket_website_configuration.go",
            "internal/service/s3/bucket_versioning.go",
            "internal/service/s3/bucket_accelerate_configuration.go",
            "internal/service/s3/bucket_request_payment_configuration.go",
            "internal/service/s3/bucket_logging.go",
            "internal/service/s3/bucket_lifecycle_configuration.go",
            "internal/service/s3/bucket_replication_configuration.go",
            "internal/service/s3/bucket_server_side_encryption_configuration.go",
            "internal/service/s3/bucket_object_lock_configuration.go",
            "internal/service/s3/delete.go",
            "internal/service/s3/tags.go",
            "internal/provider/sdkv2/tags_interceptor.go",
        ],
        create: [
            // Tags ride in CreateBucketConfiguration (s3:TagResource). Canned ACL "private" needs no s3:PutBucketAcl.
            { api: "s3:CreateBucket", actions: ["s3:CreateBucket", "s3:TagResource"] },
            // Only if CreateBucket with tags is refused s3:TagResource: retried untagged, then tagged this way.
            { api: "s3:PutBucketTagging", when: "tags" },
            // The create tail-calls Update, which makes no call for unset deprecated inline arguments, then Read.
            // HeadBucket also polls for the new bucket (and, in us-east-1, checks the name is free first).
            ...BUCKET_READ,
        ],
        read: BUCKET_READ,
        update: [
            // bucketUpdateTags reads the tag set (GetBucketTagging, below), then replaces it or deletes it.
            { api: "s3:PutBucketTagging", when: "tags" },
            { api: "s3:DeleteBucketTagging", actions: ["s3:PutBucketTagging"], when: "tags" },
            ...BUCKET_READ,
        ],
        delete: [
            { api: "s3:DeleteBucket" }, // retried after emptying when it fails BucketNotEmpty
            { api: "s3:ListObjectVersions", actions: ["s3:ListBucketVersions"], when: "forceDestroy" },
            // Versions and delete markers are deleted by version ID (an unversioned bucket lists them as "null").
            { api: "s3:DeleteObjects", actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"], when: "forceDestroy" },
            { api: "s3:DeleteObject", actions: ["s3:DeleteObjectVersion"], when: "forceDestroy" }, // keys not valid in XML
            { api: "s3:PutObjectLegalHold", when: "objectLockEnabled" }, // with forceDestroy; DeleteObjects then bypasses governance
            { api: "s3:HeadBucket", actions: ["s3:ListBucket"] }, // until the bucket is gone
        ],
    },

    "aws:s3/bucketPolicy:BucketPolicy": {
        source: ["internal/service/s3/bucket_policy.go"],
        create: [
            { api: "s3:PutBucketPolicy", on: BUCKET },
            { api: "s3:GetBucketPolicy", on: BUCKET },
        ],
        read: [{ api: "s3:GetBucketPolicy", on: BUCKET }],
        update: [
            { api: "s3:PutBucketPolicy", on: BUCKET },
            { api: "s3:GetBucketPolicy", on: BUCKET },
        ],
        delete: [
            { api: "s3:DeleteBucketPolicy", on: BUCKET },
            { api: "s3:GetBucketPolicy", on: BUCKET }, // until it is gone
        ],
    },

    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
        source: ["internal/service/s3/bucket_public_access_block.go"],
        create: [
            { api: "s3:PutPublicAccessBlock", actions: ["s3:PutBucketPublicAccessBlock"], on: BUCKET },
            { api: "s3:GetPublicAccessBlock", actions: ["s3:GetBucketPublicAccessBlock"], on: BUCKET },
        ],
        read: [{ api: "s3:GetPublicAccessBlock", actions: ["s3:GetBucketPublicAccessBlock"], on: BUCKET }],
        // No read after the update (eventual consistency): the state takes the values sent.
        update: [{ api: "s3:PutPublicAccessBlock", actions: ["s3:PutBucketPublicAccessBlock"], on: BUCKET }],
        delete: [
            // Neither call is made when skipDestroy is true.
            { api: "s3:DeletePublicAccessBlock", actions: ["s3:PutBucketPublicAccessBlock"], on: BUCKET },
            { api: "s3:GetPublicAccessBlock", actions: ["s3:GetBucketPublicAccessBlock"], on: BUCKET },
        ],
    },

    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        source: ["internal/service/s3/bucket_ownership_controls.go"],
        create: [
            { api: "s3:PutBucketOwnershipControls", on: BUCKET },
            { api: "s3:GetBucketOwnershipControls", on: BUCKET },
        ],
        read: [{ api: "s3:GetBucketOwnershipControls", on: BUCKET }],
        update: [
            { api: "s3:PutBucketOwnershipControls", on: BUCKET },
            { api: "s3:GetBucketOwnershipControls", on: BUCKET },
        ],
        delete: [
            { api: "s3:DeleteBucketOwnershipControls", actions: ["s3:PutBucketOwnershipControls"], on: BUCKET },
            { api: "s3:GetBucketOwnershipControls", on: BUCKET },
        ],
    },

    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        source: ["internal/service/s3/bucket_server_side_encryption_configuration.go"],
        create: [
            { api: "s3:PutBucketEncryption", actions: ["s3:PutEncryptionConfiguration"], on: BUCKET },
            { api: "s3:GetBucketEncryption", actions: ["s3:GetEncryptionConfiguration"], on: BUCKET },
        ],
        read: [{ api: "s3:GetBucketEncryption", actions: ["s3:GetEncryptionConfiguration"], on: BUCKET }],
        update: [
            { api: "s3:PutBucketEncryption", actions: ["s3:PutEncryptionConfiguration"], on: BUCKET },
            { api: "s3:GetBucketEncryption", actions: ["s3:GetEncryptionConfiguration"], on: BUCKET },
        ],
        // No wait: the bucket falls back to SSE-S3.
        delete: [{ api: "s3:DeleteBucketEncryption", actions: ["s3:PutEncryptionConfiguration"], on: BUCKET }],
    },

    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        source: ["internal/service/s3/bucket_lifecycle_configuration.go"],
        // Plugin-framework resource: create and update set state from waitLifecycleConfigEquals, not a Read.
        create: [
            { api: "s3:PutBucketLifecycleConfiguration", actions: ["s3:PutLifecycleConfiguration"], on: BUCKET },
            { api: "s3:GetBucketLifecycleConfiguration", actions: ["s3:GetLifecycleConfiguration"], on: BUCKET },
        ],
        read: [{ api: "s3:GetBucketLifecycleConfiguration", actions: ["s3:GetLifecycleConfiguration"], on: BUCKET }],
        update: [
            { api: "s3:PutBucketLifecycleConfiguration", actions: ["s3:PutLifecycleConfiguration"], on: BUCKET },
            { api: "s3:GetBucketLifecycleConfiguration", actions: ["s3:GetLifecycleConfiguration"], on: BUCKET },
        ],
        delete: [
            { api: "s3:DeleteBucketLifecycle", actions: ["s3:PutLifecycleConfiguration"], on: BUCKET },
            { api: "s3:GetBucketLifecycleConfiguration", actions: ["s3:GetLifecycleConfiguration"], on: BUCKET },
        ],
    },

    "aws:s3/bucketVersioning:BucketVersioning": {
        source: ["internal/service/s3/bucket_versioning.go"],
        create: [
            { api: "s3:PutBucketVersioning", on: BUCKET }, // skipped for status "Disabled"
            { api: "s3:GetBucketVersioning", on: BUCKET },
        ],
        read: [{ api: "s3:GetBucketVersioning", on: BUCKET }],
        update: [
            { api: "s3:PutBucketVersioning", on: BUCKET },
            { api: "s3:GetBucketVersioning", on: BUCKET },
        ],
        // Suspends versioning (status "Suspended"); nothing is called for status "Disabled".
        delete: [{ api: "s3:PutBucketVersioning", on: BUCKET }],
    },

    "aws:kms/key:Key": {
        source: ["internal/service/kms/key.go", "internal/service/kms/wait.go", "internal/service/kms/tags_gen.go", "internal/service/kms/generate.go"],
        create: [
            // bypassPolicyLockoutSafetyCheck is a condition key (kms:BypassPolicyLockoutSafetyCheck), not an action.
            { api: "kms:CreateKey", actions: ["kms:CreateKey", "kms:TagResource"] },
            { api: "kms:EnableKeyRotation", when: "enableKeyRotation" },
            { api: "kms:DisableKey", when: "isEnabled" }, // only when isEnabled is false
            // Read, whose calls also serve the propagation waiters (rotation, enabled state, policy, tags).
            ...KEY_READ,
        ],
        read: KEY_READ,
        update: [
            { api: "kms:EnableKey", when: "isEnabled" },
            { api: "kms:DisableKey", when: "isEnabled" },
            { api: "kms:EnableKeyRotation", when: "enableKeyRotation" }, // also on a rotationPeriodInDays change
            { api: "kms:DisableKeyRotation", onlyWhen: "enableKeyRotation is set to false (every key rotates)" },
            { api: "kms:UpdateKeyDescription", when: "description" },
            { api: "kms:PutKeyPolicy", when: "policy" },
            { api: "kms:TagResource", when: "tags" },
            { api: "kms:UntagResource", when: "tags" },
            ...KEY_READ, // ListResourceTags also waits for tag propagation
        ],
        delete: [
            { api: "kms:ScheduleKeyDeletion" }, // deletionWindowInDays as PendingWindowInDays
            { api: "kms:DescribeKey" }, // until PendingDeletion
        ],
    },

    "aws:kms/alias:Alias": {
        source: ["internal/service/kms/alias.go"],
        // CreateAlias, UpdateAlias and DeleteAlias are authorized on the alias and on the key: one entry for each.
        create: [
            { api: "kms:CreateAlias" },
            { api: "kms:CreateAlias", on: KEY },
            { api: "kms:ListAliases" },
        ],
        read: [{ api: "kms:ListAliases" }],
        update: [
            { api: "kms:UpdateAlias" },
            { api: "kms:UpdateAlias", on: KEY }, // the new key; the key it pointed to is checked as well
            { api: "kms:ListAliases" },
        ],
        delete: [
            { api: "kms:DeleteAlias" },
            { api: "kms:DeleteAlias", on: KEY },
        ],
    },
};
