/**
 * The numbers the simulation rests on that neither the stack file nor the k6 profile gives, and that AWS does not
 * publish. Each is named, printed with every prediction, written into the timeline's `assumptions`, and overridable
 * with `--assume NAME=VALUE`.
 */
import { InputError } from "../timeline";

export interface Assumption {
    readonly value: number;
    readonly min: number;
    readonly max: number;
    readonly integer?: boolean;
    /** What it is and why this value. */
    readonly meaning: string;
}

export const ASSUMPTIONS = {
    taskStartupSeconds: {
        value: 45,
        min: 0,
        max: 900,
        meaning: "Fargate: from the scaling activity to the container running (placement, image pull, start); 45 s for a small Node image",
    },
    datapointDelaySeconds: {
        value: 60,
        min: 0,
        max: 600,
        meaning: "from the end of a metric period until its alarm evaluates it (ECS metrics reach CloudWatch about a minute late)",
    },
    targetTrackingHighDatapoints: {
        value: 3,
        min: 1,
        max: 60,
        integer: true,
        meaning: "target tracking's AlarmHigh: 1-minute datapoints above the target, out of as many, before it scales out",
    },
    targetTrackingLowDatapoints: {
        value: 15,
        min: 1,
        max: 60,
        integer: true,
        meaning: "target tracking's AlarmLow: 1-minute datapoints below targetTrackingLowRatio × target, out of as many, before it scales in",
    },
    targetTrackingLowRatio: {
        value: 0.9,
        min: 0.1,
        max: 1,
        meaning: "target tracking's AlarmLow threshold as a share of the target",
    },
    targetTrackingScaleInPercent: {
        value: 10,
        min: 0,
        max: 100,
        meaning: "target tracking scales in by this share of the tasks, rounded down, at least 1 (AWS: 'conservatively')",
    },
    requestOverheadPercent: {
        value: 2.5,
        min: 0,
        max: 100,
        meaning:
            "CPU a request costs its task besides counting primes (HTTP, routing, the hand-off to a worker), in percent of the count's: npm run timeline:check-model measured 4.9 % and 12.3 % in two sessions of one day, about 3 of which its own load generator; a calibration (simulate --calibration) replaces it",
    },
    shedLatencyMs: {
        value: 1,
        min: 0,
        max: 1000,
        meaning: "response time of a 503 the service sheds: it answers at once, without queueing",
    },
    seed: {
        value: 1,
        min: 0,
        max: 2 ** 32 - 1,
        integer: true,
        meaning: "seed of the random limits and think times: the same inputs give the same timeline",
    },
} as const satisfies Record<string, Assumption>;

export type AssumptionName = keyof typeof ASSUMPTIONS;
export type Assumptions = Record<AssumptionName, number>;

export const DEFAULT_ASSUMPTIONS: Assumptions = Object.fromEntries(
    Object.entries(ASSUMPTIONS).map(([name, assumption]) => [name, assumption.value]),
) as Assumptions;

const isName = (name: string): name is AssumptionName => Object.hasOwn(ASSUMPTIONS, name);

/** The defaults with the user's overrides, each checked against its range. */
export function resolveAssumptions(overrides: Readonly<Record<string, number>>): Assumptions {
    const resolved = { ...DEFAULT_ASSUMPTIONS };
    for (const [name, value] of Object.entries(overrides)) {
        if (!isName(name)) {
            throw new InputError(`--assume ${name} is not an assumption of the simulation: use one of ${Object.keys(ASSUMPTIONS).join(", ")}`);
        }
        const { min, max, integer } = ASSUMPTIONS[name] as Assumption;
        if (value < min || value > max || (integer && !Number.isInteger(value))) {
            throw new InputError(`--assume ${name}=${value} is out of range: expected ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
        }
        resolved[name] = value;
    }
    return resolved;
}
