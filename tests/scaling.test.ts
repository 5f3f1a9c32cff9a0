import assert from "node:assert/strict";
import { ConfigError, parseStackConfig, ScalingConfig } from "../config";
import { Autoscaling } from "../components/scaling";
import { ENVIRONMENT_STACK_FILES, loadStackFile } from "./environment-fixtures";
import { build, mocks, RecordedResource, useMocks, valueOf } from "./mocks";
import {
    ACCOUNT_ID,
    CLUSTER_NAME,
    environmentConfig,
    devProvider,
    LOAD_BALANCER_ARN_SUFFIX,
    rawEnvironmentConfig,
    SERVICE,
    SERVICE_NAME,
    TARGET_GROUP,
    TARGET_GROUP_ARN_SUFFIX,
} from "./service-fixture";

const TARGET = "aws:appautoscaling/target:Target";
const POLICY = "aws:appautoscaling/policy:Policy";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const RESOURCE_ID = `service/${CLUSTER_NAME}/${SERVICE_NAME}`;

interface StepAdjustment {
    metricIntervalLowerBound?: string;
    metricIntervalUpperBound?: string;
    scalingAdjustment: number;
}

async function buildScaling(scaling: Record<string, unknown>, withTargetGroup = true): Promise<Autoscaling> {
    const config = environmentConfig({ scaling, service: { desiredCount: scaling.minCapacity ?? 1 } });
    return build(
        () =>
            new Autoscaling("dev-prime-counter", {
                service: SERVICE,
                targetGroup: withTargetGroup ? TARGET_GROUP : undefined,
                config: config.scaling,
                provider: devProvider(config),
            }),
    );
}

const named = (type: string, suffix: string): RecordedResource => {
    const found = mocks.ofType(type).filter((r) => r.name.endsWith(suffix));
    assert.equal(found.length, 1, `one ${type} named *${suffix}, found: ${mocks.ofType(type).map((r) => r.name).join(", ")}`);
    return found[0];
};

const stepsOf = (policy: RecordedResource): StepAdjustment[] => policy.inputs.stepScalingPolicyConfiguration.stepAdjustments;

/** Does a CloudWatch alarm breach for this value? */
function breaches(alarm: RecordedResource, value: number): boolean {
    const threshold = alarm.inputs.threshold as number;
    switch (alarm.inputs.comparisonOperator) {
        case "GreaterThanOrEqualToThreshold":
            return value >= threshold;
        case "GreaterThanThreshold":
            return value > threshold;
        case "LessThanThreshold":
            return value < threshold;
        case "LessThanOrEqualToThreshold":
            return value <= threshold;
        default:
            throw new Error(`unexpected comparison ${alarm.inputs.comparisonOperator}`);
    }
}

/**
 * The adjustment Application Auto Scaling applies, by its documented rules: bounds are offsets from the alarm
 * threshold; above the threshold a lower bound is inclusive and an upper bound exclusive, below it the reverse.
 * Fails when the steps leave a gap or overlap at this value.
 */
function adjustmentFor(steps: StepAdjustment[], alarmThreshold: number, value: number): number {
    const offset = value - alarmThreshold;
    const above = steps.every((s) => Number(s.metricIntervalLowerBound ?? 0) >= 0);
    const matching = steps.filter((s) => {
        const lower = s.metricIntervalLowerBound === undefined ? -Infinity : Number(s.metricIntervalLowerBound);
        const upper = s.metricIntervalUpperBound === undefined ? Infinity : Number(s.metricIntervalUpperBound);
        return above ? offset >= lower && offset < upper : offset > lower && offset <= upper;
    });
    assert.equal(matching.length, 1, `exactly one step covers CPU ${value} (offset ${offset}): ${JSON.stringify(steps)}`);
    return matching[0].scalingAdjustment;
}

/** What the step policies do for one CPU datapoint: the alarms that breach, and their policies' adjustments. */
function decisionsAt(value: number): number[] {
    const policies = mocks.ofType(POLICY);
    return mocks
        .ofType(ALARM)
        .filter((alarm) => breaches(alarm, value))
        .map((alarm) => {
            const [action] = alarm.inputs.alarmActions as string[];
            const policy = policies.find((p) => p.state.arn === action);
            assert.ok(policy, `alarm ${alarm.name} invokes a scaling policy of this service`);
            return adjustmentFor(stepsOf(policy), alarm.inputs.threshold, value);
        });
}

describe("Autoscaling", () => {
    before(useMocks);
    beforeEach(() => mocks.reset());

    describe("both modes, same environment", () => {
        for (const scaling of [{ mode: "step" }, { mode: "target-tracking" }]) {
            it(`${scaling.mode}: one scalable target on the service's desired count, capacities from config, in the stack's account`, async () => {
                await buildScaling({ ...scaling, minCapacity: 2, maxCapacity: 6 });
                const target = mocks.one(TARGET);
                assert.deepEqual(
                    {
                        serviceNamespace: target.inputs.serviceNamespace,
                        scalableDimension: target.inputs.scalableDimension,
                        resourceId: target.inputs.resourceId,
                        minCapacity: target.inputs.minCapacity,
                        maxCapacity: target.inputs.maxCapacity,
                    },
                    { serviceNamespace: "ecs", scalableDimension: "ecs:service:DesiredCount", resourceId: RESOURCE_ID, minCapacity: 2, maxCapacity: 6 },
                );
                for (const resource of [target, ...mocks.ofType(POLICY), ...mocks.ofType(ALARM)]) {
                    assert.match(resource.provider ?? "", /::dev::/, `${resource.name} uses the explicit account provider`);
                }
                for (const policy of mocks.ofType(POLICY)) {
                    assert.equal(policy.inputs.resourceId, RESOURCE_ID);
                    assert.equal(policy.inputs.scalableDimension, "ecs:service:DesiredCount");
                    assert.equal(policy.inputs.serviceNamespace, "ecs");
                    assert.ok(policy.state.arn.includes(`:${ACCOUNT_ID}:`), policy.state.arn);
                }
            });
        }

        it("step makes two step policies and their two alarms; target tracking one policy and no alarms of its own", async () => {
            await buildScaling({ mode: "step" });
            assert.deepEqual(mocks.ofType(POLICY).map((p) => p.inputs.policyType), ["StepScaling", "StepScaling"]);
            assert.equal(mocks.ofType(ALARM).length, 2);

            mocks.reset();
            await buildScaling({ mode: "target-tracking" });
            assert.deepEqual(mocks.ofType(POLICY).map((p) => p.inputs.policyType), ["TargetTrackingScaling"]);
            assert.equal(mocks.ofType(ALARM).length, 0);
        });
    });

    describe("step scaling", () => {
        it("scale-out policy: +1 from the threshold to upper, +2 from upper on (bounds relative to the alarm threshold)", async () => {
            await buildScaling({ mode: "step" });
            const scaleOut = named(POLICY, "-scale-out");
            assert.deepEqual(scaleOut.inputs.stepScalingPolicyConfiguration, {
                adjustmentType: "ChangeInCapacity",
                cooldown: 60,
                metricAggregationType: "Average",
                stepAdjustments: [
                    { metricIntervalLowerBound: "0", metricIntervalUpperBound: "30", scalingAdjustment: 1 },
                    { metricIntervalLowerBound: "30", scalingAdjustment: 2 },
                ],
            });
        });

        it("scale-in policy: −1 anywhere below the scale-in threshold", async () => {
            await buildScaling({ mode: "step" });
            const scaleIn = named(POLICY, "-scale-in");
            assert.deepEqual(scaleIn.inputs.stepScalingPolicyConfiguration, {
                adjustmentType: "ChangeInCapacity",
                cooldown: 60,
                metricAggregationType: "Average",
                stepAdjustments: [{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }],
            });
        });

        it("each alarm is 1-minute CPUUtilization of this service in AWS/ECS at its threshold, and invokes its own policy", async () => {
            const component = await buildScaling({ mode: "step" });
            const scaleOutAlarm = named(ALARM, "-cpu-scale-out");
            const scaleInAlarm = named(ALARM, "-cpu-scale-in");
            const common = {
                namespace: "AWS/ECS",
                metricName: "CPUUtilization",
                dimensions: { ClusterName: CLUSTER_NAME, ServiceName: SERVICE_NAME },
                statistic: "Average",
                period: 60,
                treatMissingData: "missing",
            };
            const pick = (alarm: RecordedResource) => {
                const { namespace, metricName, dimensions, statistic, period, threshold, treatMissingData, comparisonOperator, evaluationPeriods, alarmActions } =
                    alarm.inputs;
                return { namespace, metricName, dimensions, statistic, period, threshold, treatMissingData, comparisonOperator, evaluationPeriods, alarmActions };
            };
            assert.deepEqual(pick(scaleOutAlarm), {
                ...common,
                threshold: 40,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                evaluationPeriods: 1,
                alarmActions: [named(POLICY, "-scale-out").state.arn],
            });
            assert.deepEqual(pick(scaleInAlarm), {
                ...common,
                threshold: 20,
                comparisonOperator: "LessThanThreshold",
                evaluationPeriods: 3,
                alarmActions: [named(POLICY, "-scale-in").state.arn],
            });
            assert.deepEqual(await valueOf(component.alarmArns), [scaleOutAlarm.state.arn, scaleInAlarm.state.arn]);
        });

        it("every CPU value gets at most one decision: below 20 −1, 20 up to 40 none, 40 up to 70 +1, 70 and above +2 (never both policies)", async () => {
            await buildScaling({ mode: "step" });
            const expected = (cpu: number) => (cpu < 20 ? [-1] : cpu < 40 ? [] : cpu < 70 ? [1] : [2]);
            for (let cpu = 0; cpu <= 100; cpu += 0.5) {
                assert.deepEqual(decisionsAt(cpu), expected(cpu), `CPU ${cpu}%`);
            }
            for (const [cpu, adjustments] of [[19.999, [-1]], [20, []], [39.999, []], [40, [1]], [69.999, [1]], [70, [2]]] as const) {
                assert.deepEqual(decisionsAt(cpu), adjustments, `CPU ${cpu}% at a band edge`);
            }
        });

        it("a configured scale-in threshold moves only the scale-in alarm", async () => {
            await buildScaling({ mode: "step", threshold: 50, scaleInThreshold: 35 });
            assert.equal(named(ALARM, "-cpu-scale-in").inputs.threshold, 35);
            assert.equal(named(ALARM, "-cpu-scale-out").inputs.threshold, 50);
            for (const [cpu, adjustments] of [[34.9, [-1]], [35, []], [49.9, []], [50, [1]]] as const) {
                assert.deepEqual(decisionsAt(cpu), adjustments, `CPU ${cpu}%`);
            }
        });

        it("takes threshold, upper threshold, adjustments, statistic, cooldown and evaluation periods from config", async () => {
            await buildScaling({
                mode: "step",
                statistic: "Maximum",
                threshold: 30,
                scaleInThreshold: 30 - 0.5,
                upperThreshold: 60,
                scaleInAdjustment: -2,
                scaleOutAdjustment: 1,
                steepScaleOutAdjustment: 3,
                cooldownSeconds: 120,
                scaleOutEvaluationPeriods: 2,
                scaleInEvaluationPeriods: 5,
            });
            const scaleOut = named(POLICY, "-scale-out").inputs.stepScalingPolicyConfiguration;
            assert.deepEqual(scaleOut.stepAdjustments, [
                { metricIntervalLowerBound: "0", metricIntervalUpperBound: "30", scalingAdjustment: 1 },
                { metricIntervalLowerBound: "30", scalingAdjustment: 3 },
            ]);
            assert.equal(scaleOut.cooldown, 120);
            assert.equal(scaleOut.metricAggregationType, "Maximum");
            assert.deepEqual(stepsOf(named(POLICY, "-scale-in")), [{ metricIntervalUpperBound: "0", scalingAdjustment: -2 }]);
            assert.equal(named(POLICY, "-scale-in").inputs.stepScalingPolicyConfiguration.cooldown, 120);
            for (const alarm of mocks.ofType(ALARM)) assert.equal(alarm.inputs.statistic, "Maximum");
            assert.equal(named(ALARM, "-cpu-scale-out").inputs.threshold, 30);
            assert.equal(named(ALARM, "-cpu-scale-in").inputs.threshold, 29.5);
            assert.equal(named(ALARM, "-cpu-scale-out").inputs.evaluationPeriods, 2);
            assert.equal(named(ALARM, "-cpu-scale-in").inputs.evaluationPeriods, 5);
            for (const [cpu, adjustments] of [[29.4, [-2]], [29.5, []], [30, [1]], [59.9, [1]], [60, [3]]] as const) {
                assert.deepEqual(decisionsAt(cpu), adjustments, `CPU ${cpu}%`);
            }
        });

        it("fractional thresholds keep the band edges exact", async () => {
            await buildScaling({ mode: "step", threshold: 42.5, upperThreshold: 71.3 });
            for (const [cpu, adjustments] of [[21.24, [-1]], [21.25, []], [42.4, []], [42.5, [1]], [71.2, [1]], [71.3, [2]]] as const) {
                assert.deepEqual(decisionsAt(cpu), adjustments, `CPU ${cpu}%`);
            }
        });

        it("gives the dashboard its CPU bands and capacity lines", async () => {
            const component = await buildScaling({ mode: "step", maxCapacity: 6 });
            assert.deepEqual(component.thresholds.cpu?.map((line) => line.value), [20, 40, 70]);
            assert.deepEqual(component.thresholds.tasks?.map((line) => line.value), [1, 6]);
        });
    });

    describe("target tracking", () => {
        it("cpu: ECSServiceAverageCPUUtilization at the target value, cooldowns 60 out and 300 in by default", async () => {
            const component = await buildScaling({ mode: "target-tracking", targetValue: 55 });
            assert.deepEqual(mocks.one(POLICY).inputs.targetTrackingScalingPolicyConfiguration, {
                predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
                targetValue: 55,
                scaleOutCooldown: 60,
                scaleInCooldown: 300,
                disableScaleIn: false,
            });
            assert.deepEqual(component.thresholds.cpu?.map((line) => line.value), [55]);
        });

        it("memory, with its own cooldowns and scale-in disabled", async () => {
            await buildScaling({
                mode: "target-tracking",
                metric: "memory",
                targetValue: 70,
                scaleOutCooldownSeconds: 30,
                scaleInCooldownSeconds: 600,
                disableScaleIn: true,
            });
            assert.deepEqual(mocks.one(POLICY).inputs.targetTrackingScalingPolicyConfiguration, {
                predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageMemoryUtilization" },
                targetValue: 70,
                scaleOutCooldown: 30,
                scaleInCooldown: 600,
                disableScaleIn: true,
            });
        });

        it("requests per target: resource label is <load balancer arnSuffix>/<target group arnSuffix>", async () => {
            await buildScaling({ mode: "target-tracking", metric: "requests-per-target", targetValue: 1000 });
            assert.deepEqual(mocks.one(POLICY).inputs.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification, {
                predefinedMetricType: "ALBRequestCountPerTarget",
                resourceLabel: `${LOAD_BALANCER_ARN_SUFFIX}/${TARGET_GROUP_ARN_SUFFIX}`,
            });
        });

        it("hands the dashboard the alarms target tracking created", async () => {
            const component = await buildScaling({ mode: "target-tracking" });
            const alarmArns = await valueOf(component.alarmArns);
            assert.deepEqual(alarmArns, mocks.one(POLICY).state.alarmArns);
            assert.equal(alarmArns.length, 2);
        });

        it("requests per target without a load balancer is an error naming scaling.metric", async () => {
            await assert.rejects(buildScaling({ mode: "target-tracking", metric: "requests-per-target", targetValue: 1000 }, false), /scaling\.metric "requests-per-target"/);
            assert.equal(mocks.ofType(TARGET).length, 0, "nothing is created");
        });
    });

    describe("config errors name the key", () => {
        const problemsFor = (scaling: Record<string, unknown>): string[] => {
            try {
                parseStackConfig(rawEnvironmentConfig({ scaling }));
            } catch (error) {
                assert.ok(error instanceof ConfigError, String(error));
                return error.problems;
            }
            assert.fail(`config accepted: ${JSON.stringify(scaling)}`);
        };
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["a step key under target-tracking", { mode: "target-tracking", threshold: 40 }, /^ecs-loadlab:scaling\.threshold: unknown key/],
            ["a target-tracking key under step", { mode: "step", targetValue: 50 }, /^ecs-loadlab:scaling\.targetValue: unknown key/],
            ["a cpu target above 100", { mode: "target-tracking", metric: "cpu", targetValue: 150 }, /^ecs-loadlab:scaling\.targetValue: .*1–100/],
            ["a memory target below 1", { mode: "target-tracking", metric: "memory", targetValue: 0.5 }, /^ecs-loadlab:scaling\.targetValue: .*1–100/],
            ["threshold equal to upperThreshold", { mode: "step", threshold: 70, upperThreshold: 70 }, /^ecs-loadlab:scaling\.threshold: must be below upperThreshold \(70\)/],
            ["threshold above upperThreshold", { mode: "step", threshold: 80, upperThreshold: 70 }, /^ecs-loadlab:scaling\.threshold: must be below upperThreshold/],
            ["scaleInThreshold at the threshold", { mode: "step", threshold: 40, scaleInThreshold: 40 }, /^ecs-loadlab:scaling\.scaleInThreshold: must be below threshold \(40\)/],
            ["minCapacity above maxCapacity", { mode: "step", minCapacity: 5, maxCapacity: 4 }, /^ecs-loadlab:scaling\.minCapacity: must be ≤ maxCapacity \(4\)/],
            ["minCapacity 0", { mode: "step", minCapacity: 0 }, /^ecs-loadlab:scaling\.minCapacity: must be ≥ 1/],
            ["an unknown mode", { mode: "predictive" }, /^ecs-loadlab:scaling\.mode: must be "step" or "target-tracking"/],
        ];
        for (const [what, scaling, expected] of cases) {
            it(what, () => {
                const problems = problemsFor(scaling);
                assert.ok(problems.some((p) => expected.test(p)), `expected ${expected} among:\n${problems.join("\n")}`);
            });
        }

        it("a requests-per-target value is a count, not a percentage", () => {
            const config = parseStackConfig(rawEnvironmentConfig({ scaling: { mode: "target-tracking", metric: "requests-per-target", targetValue: 1000 } }));
            assert.equal(config.role === "environment" && config.scaling.mode === "target-tracking" && config.scaling.targetValue, 1000);
        });
    });

    describe("shipped environment stack files", () => {
        const stackFiles = ENVIRONMENT_STACK_FILES.map((file) => ({ file, config: loadStackFile(file) }));

        it("dev ships step scaling with the classic 40/70 bands", () => {
            const dev = stackFiles.find((stack) => stack.file === "Pulumi.dev.yaml");
            const scaling = dev?.config.role === "environment" ? dev.config.scaling : undefined;
            assert.equal(scaling?.mode, "step");
            assert.deepEqual(scaling?.mode === "step" && [scaling.threshold, scaling.upperThreshold], [40, 70]);
        });

        for (const { file, config } of stackFiles) {
            it(`${file}: builds its scaling mode`, async () => {
                assert.ok(config.role === "environment");
                const scaling: ScalingConfig = config.scaling;
                await build(
                    () => new Autoscaling(config.environment.name, { service: SERVICE, targetGroup: TARGET_GROUP, config: scaling, provider: devProvider(config) }),
                );
                assert.equal(mocks.one(TARGET).inputs.maxCapacity, scaling.maxCapacity);
                assert.deepEqual(
                    mocks.ofType(POLICY).map((p) => p.inputs.policyType),
                    scaling.mode === "step" ? ["StepScaling", "StepScaling"] : ["TargetTrackingScaling"],
                );
            });
        }
    });
});
