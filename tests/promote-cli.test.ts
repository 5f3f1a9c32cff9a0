import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { USAGE } from "../scripts/promote/main";
import { PROJECT_DIR } from "../scripts/stack-file";
import { REPO_ROOT, stackFilePath } from "./environment-fixtures";
import {
    CALLER_ARN,
    FakeEvidenceBucket,
    FakeRegistry,
    REPOSITORY,
    SHARED_EVIDENCE,
    ecrMock,
    mockCaller,
    runCommand,
    runOnStackFile,
    s3Mock,
    sentCalls,
    stsMock,
    writeCalls,
} from "./promote-fixtures";

const STACK_TRACE = /\n\s+at /;

describe("promote command line", () => {
    let registry: FakeRegistry;
    let bucket: FakeEvidenceBucket;
    beforeEach(() => {
        registry = new FakeRegistry(REPOSITORY).install();
        bucket = new FakeEvidenceBucket(SHARED_EVIDENCE).install();
        mockCaller();
    });

    describe("argument errors: the problem and one usage line on stderr, exit 2, no AWS client", () => {
        const usageLine = (synopsis: string) => `usage: npm run promote -- ${synopsis} (npm run promote -- --help for all options)`;
        // The usage line is the synopsis of the first mode the command line names (else a promotion's).
        const PROMOTION = usageLine('<from> <to> [--dry-run] [--force] [--without-load-test "<reason>"]');
        const ROLLBACK = usageLine("--rollback <environment> [--dry-run]");
        const STATUS = usageLine("--status");
        const HISTORY = usageLine("--history <environment> [--limit <n>]");
        const NOT_A_STACK = '--stack-file "./shared" is neither a stack\'s name (dev, org/dev or org/ecs-loadlab/dev, as pulumi -s takes it) nor a stack file\'s path (Pulumi.<stack>.yaml)';
        const NO_REASON = '--without-load-test needs a reason, which the promotion record keeps: --without-load-test "<why>"';
        const cases: [string[], string, string][] = [
            [[], "nothing to do", PROMOTION],
            [["dev"], "a promotion takes <from> <to>, got 1 argument(s): dev", PROMOTION],
            [["dev", "staging", "prod"], "a promotion takes <from> <to>, got 3 argument(s): dev staging prod", PROMOTION],
            [["dev", "staging", "--bogus"], "unknown option --bogus", PROMOTION],
            [["dev", "staging", "--froce"], "unknown option --froce: did you mean --force?", PROMOTION],
            [["dev", "staging", "--stack-fil", "shared"], "unknown option --stack-fil: did you mean --stack-file?", PROMOTION],
            [["--status", "--profle", "p"], "unknown option --profle: did you mean --profile?", STATUS],
            [["--rollback"], "--rollback needs a value", ROLLBACK],
            [["--status", "--stack-file", "./shared"], NOT_A_STACK, STATUS],
            [["dev", "staging", "--status"], "choose one of <from> <to>, --status", STATUS],
            [["--rollback", "staging", "--status"], "choose one of --rollback, --status", ROLLBACK],
            [["--status", "--dry-run"], "--dry-run only goes with a promotion or --rollback", STATUS],
            [["--status", "--force"], "--force only goes with a promotion", STATUS],
            [["--rollback", "staging", "--force"], "--force only goes with a promotion", ROLLBACK],
            [["--status", "--registry-id", "1234"], '--registry-id must be a 12-digit account id, not "1234"', STATUS],
            [["--status", "--role-arn", "deploy"], '--role-arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), not "deploy"', STATUS],
            [["--history", "prod", "--status"], "choose one of --status, --history", HISTORY],
            [["--history"], "--history needs a value", HISTORY],
            [["--history", "prod", "--dry-run"], "--dry-run only goes with a promotion or --rollback", HISTORY],
            [["--status", "--limit", "5"], "--limit only goes with --history", STATUS],
            [["--history", "prod", "--limit", "0"], '--limit must be a whole number ≥ 1, not "0"', HISTORY],
            [["--history", "prod", "--limit", "ten"], '--limit must be a whole number ≥ 1, not "ten"', HISTORY],
            [["--status", "--without-load-test", "hotfix"], "--without-load-test only goes with a promotion", STATUS],
            [["--rollback", "prod", "--without-load-test", "hotfix"], "--without-load-test only goes with a promotion", ROLLBACK],
            [["staging", "prod", "--without-load-test", ""], NO_REASON, PROMOTION],
            [["staging", "prod", "--without-load-test", "  \t "], NO_REASON, PROMOTION],
        ];
        for (const [argv, message, usage] of cases) {
            it(`${argv.join(" ") || "(no arguments)"} → ${message}`, async () => {
                const result = await runCommand(argv);
                assert.equal(result.status, 2);
                assert.deepEqual(result.stderr.split("\n"), [`error: ${message}`, usage]);
                assert.equal(result.stdout, "");
                assert.deepEqual(result.connections, []);
            });
        }

        it("--help and -h print the usage on stdout and exit 0, whatever else is given", async () => {
            for (const argv of [["--help"], ["-h"], ["dev", "staging", "--bogus", "--help"]]) {
                const result = await runCommand(argv);
                assert.deepEqual([result.status, result.stdout, result.stderr], [0, USAGE, ""], argv.join(" "));
            }
        });
    });

    it("promotes with the registry of the shared stack file and the standard credential chain", async () => {
        const previous = registry.push("build-1", ["staging"]);
        const candidate = registry.push("build-2", ["dev"]);

        const result = await runOnStackFile("dev", "staging");

        assert.equal(result.status, 0);
        assert.equal(
            result.stdout,
            [
                "Promoted dev → staging, verified",
                `  staging: ${previous} → ${candidate}`,
                "  load test: not required (staging is not in the shared stack's release.gatedEnvironments)",
                "  kept the previous image as history-staging-20250304T050607Z (for --rollback staging)",
                `  recorded as s3://${SHARED_EVIDENCE.bucket}/promotions/staging/20250304T050707Z-${candidate.slice(7, 19)}.json`,
                "Roll it out: pulumi up -s staging",
            ].join("\n"),
        );
        assert.equal(result.stderr, "");
        assert.deepEqual(result.connections, [{ region: REPOSITORY.region, profile: undefined, roleArn: undefined }]);
        assert.deepEqual(bucket.keys(), [`promotions/staging/20250304T050707Z-${candidate.slice(7, 19)}.json`]);
        assert.equal(stsMock.calls().length, 1);
    });

    it("reads the repository's Pulumi.shared.yaml when no --stack-file is given, and takes the shared stack by name or by file", async () => {
        const byDefault = await runCommand(["--print-registry"]);
        assert.equal(byDefault.status, 0, byDefault.stderr);
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "promote-stack-"));
        try {
            fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.shared.yaml"), path.join(elsewhere, "Pulumi.shared.yaml"));
            for (const given of ["shared", "my-org/ecs-loadlab/shared", path.join(REPO_ROOT, "Pulumi.shared.yaml"), path.relative(process.cwd(), path.join(REPO_ROOT, "Pulumi.shared.yaml")), path.join(elsewhere, "Pulumi.shared.yaml")]) {
                const result = await runCommand(["--print-registry", "--stack-file", given]);
                assert.deepEqual([result.status, result.stdout, result.stderr], [0, byDefault.stdout, ""], given);
            }
        } finally {
            fs.rmSync(elsewhere, { recursive: true, force: true });
        }
    });

    it("connects with --profile and --role-arn, and addresses --region, --registry-id and --repository", async () => {
        const result = await runOnStackFile(
            "--status",
            ...["--profile", "loadlab-shared", "--role-arn", "arn:aws:iam::555555555555:role/release"],
            ...["--region", "us-east-1", "--registry-id", "555555555555", "--repository", "other/repo"],
        );

        assert.deepEqual(result.connections, [{ region: "us-east-1", profile: "loadlab-shared", roleArn: "arn:aws:iam::555555555555:role/release" }]);
        assert.deepEqual(
            ecrMock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input),
            [{ registryId: "555555555555", repositoryName: "other/repo", filter: { tagStatus: "TAGGED" }, nextToken: undefined }],
        );
        // The fake registry is the stack file's repository: an AWS error, reported without a stack trace.
        assert.equal(result.status, 1);
        assert.equal(result.stderr, "error: RepositoryNotFoundException: The repository 'other/repo' does not exist in the registry '555555555555'.");
    });

    it("dry run: prints the plan and writes nothing", async () => {
        const previous = registry.push("build-1", ["staging"]);
        const candidate = registry.push("build-2", ["dev"]);

        const result = await runOnStackFile("dev", "staging", "--dry-run");

        assert.equal(result.status, 0);
        assert.equal(
            result.stdout,
            [
                "Dry run: would promote dev → staging",
                `  staging: ${previous} → ${candidate}`,
                "  load test: not required (staging is not in the shared stack's release.gatedEnvironments)",
                "  would keep the previous image as history-staging-20250304T050607Z (for --rollback staging)",
                "Nothing was written.",
            ].join("\n"),
        );
        assert.deepEqual(writeCalls(), []);
        assert.deepEqual(s3Mock.calls(), []);
        // A dry run records nothing, so it does not ask who is calling.
        assert.deepEqual(stsMock.calls(), []);
    });

    it("a repeat: says nothing changed, exit 0", async () => {
        const digest = registry.push("build-1", ["dev", "staging"]);
        const result = await runOnStackFile("dev", "staging");
        assert.equal(result.status, 0);
        assert.equal(result.stdout, `staging already points at ${digest}, the image dev names: nothing changed.`);
        assert.deepEqual(writeCalls(), []);
    });

    it("refusals exit 1 with the reason and no stack trace; --force overrides the order with a warning", async () => {
        registry.push("build-1", ["dev"]);

        const refused = await runOnStackFile("dev", "prod");
        assert.equal(refused.status, 1);
        assert.equal(refused.stderr, "error: prod does not follow dev in the promotion order dev → staging → prod. Pass --force to promote out of order.");
        assert.equal(refused.stdout, "");

        const missing = await runOnStackFile("staging", "prod");
        assert.equal(missing.status, 1);
        assert.equal(missing.stderr, "error: staging names no image in ecs-loadlab/prime-counter: nothing to promote");
        assert.doesNotMatch(missing.stderr, STACK_TRACE);
        assert.deepEqual(writeCalls(), []);

        // prod is gated: out of order, the image has no load test in staging either.
        const forced = await runOnStackFile("dev", "prod", "--force", "--without-load-test", "hotfix, tested by hand on dev");
        assert.equal(forced.status, 0, forced.stderr);
        assert.equal(forced.stderr, "warning: prod does not follow dev in the promotion order dev → staging → prod");
    });

    it("--rollback prints the move and the history it used", async () => {
        const first = registry.push("build-1", ["dev"]);
        await runOnStackFile("dev", "staging");
        const second = registry.push("build-2", ["dev"]);
        await runOnStackFile("dev", "staging");

        const result = await runOnStackFile("--rollback", "staging");

        assert.equal(result.status, 0);
        assert.equal(
            result.stdout,
            [
                "Rolled back staging, verified",
                `  staging: ${second} → ${first}`,
                "  restored from history-staging-20250304T050607Z; history tags used up: history-staging-20250304T050607Z",
                `  recorded as s3://${SHARED_EVIDENCE.bucket}/promotions/staging/20250304T050607Z-${first.slice(7, 19)}.json`,
                "Roll it out: pulumi up -s staging",
            ].join("\n"),
        );
        assert.deepEqual(bucket.json(`promotions/staging/20250304T050607Z-${first.slice(7, 19)}.json`), {
            schemaVersion: 1,
            kind: "rollback",
            environment: "staging",
            from: "history-staging-20250304T050607Z",
            digest: first,
            previousDigest: second,
            at: "2025-03-04T05:06:07.890Z",
            by: CALLER_ARN,
            loadTest: { status: "not-required" },
        });
    });

    it("--status prints a table of the environments", async () => {
        const digest = registry.push("build-1", ["sha-111111111111", "dev"]);

        const result = await runOnStackFile("--status");

        assert.equal(result.status, 0);
        const pad = (text: string, width: number) => text.padEnd(width);
        assert.equal(
            result.stdout,
            [
                `Repository ${REPOSITORY.registryId}.dkr.ecr.${REPOSITORY.region}.amazonaws.com/${REPOSITORY.repositoryName}`,
                `${pad("ENVIRONMENT", 11)}  ${pad("DIGEST", 71)}  ${pad("PUSHED", 24)}  VERSION TAGS      ROLLBACK TO         LOAD TEST`,
                `dev          ${digest}  2025-01-01T00:00:00.000Z  sha-111111111111  (nothing recorded)  none`,
                `staging      ${pad("(no image)", 71)}  ${pad("", 24)}  ${pad("", 16)}  (nothing recorded)`,
                `prod         ${pad("(no image)", 71)}  ${pad("", 24)}  ${pad("", 16)}  (nothing recorded)`,
            ].join("\n"),
        );
    });

    it("--print-registry prints the coordinates for scripts, without an AWS client", async () => {
        const region = REPOSITORY.region === "eu-central-1" ? "us-west-2" : "eu-central-1";
        const result = await runOnStackFile("--print-registry", "--region", region);

        assert.equal(result.status, 0);
        assert.equal(
            result.stdout,
            [
                `repositoryUri=${REPOSITORY.registryId}.dkr.ecr.${region}.amazonaws.com/${REPOSITORY.repositoryName}`,
                `region=${region}`,
                `registryId=${REPOSITORY.registryId}`,
                `repositoryName=${REPOSITORY.repositoryName}`,
                "versionTagPrefix=sha-",
                "firstEnvironment=dev",
            ].join("\n"),
        );
        assert.deepEqual(result.connections, []);
        assert.deepEqual(sentCalls(), []);
    });

    it("a stack file that is not the shared stack's, or is missing: exit 1 with the reason", async () => {
        const devStackFile = stackFilePath("Pulumi.dev.yaml");
        const environmentFile = await runOnStackFile("--status", "--stack-file", devStackFile);
        assert.equal(environmentFile.status, 1);
        assert.equal(environmentFile.stderr, `error: ${devStackFile} is an environment stack file: give the shared stack's file (--stack-file Pulumi.shared.yaml)`);

        for (const missing of ["Pulumi.shraed.yaml", "shraed"]) {
            const missingFile = await runOnStackFile("--status", "--stack-file", missing);
            assert.equal(missingFile.status, 1);
            assert.equal(
                missingFile.stderr,
                `error: stack file Pulumi.shraed.yaml does not exist: pass a shared stack file or stack name (did you mean shared?); the shared stacks in ${PROJECT_DIR}: shared`,
            );
            assert.deepEqual(missingFile.connections, []);
        }
    });

    it("no credentials: exit 1 with a hint, no stack trace", async () => {
        ecrMock.on(DescribeImagesCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));

        const result = await runOnStackFile("--status");

        assert.equal(result.status, 1);
        assert.equal(
            result.stderr,
            "error: no AWS credentials for the registry account: Could not load credentials from any providers (set AWS_PROFILE or pass --profile / --role-arn)",
        );
    });
});
