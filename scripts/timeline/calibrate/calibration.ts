/**
 * A calibration: what `timeline calibrate` fits from an observed run and `timeline simulate --calibration` uses in
 * place of the calibration table and the assumptions. Its JSON form is a public format, like the timeline's:
 *
 *   { kind: "calibration", version: 1, source: {...}, cpuMsPerRequest, taskStartupSeconds, datapointDelaySeconds, notes }
 *
 * Each figure is the median of what the rows (or events) it came from say, with the low and high ends of its spread
 * and the evidence, one line each, so a reader can check it; null when the run cannot tell (no scale-out happened,
 * so no start-up time).
 */
import { z } from "zod";
import { parseJsonText } from "../../json-text";
import { InputError } from "../timeline";

const figureSchema = z.strictObject({
    value: z.number().finite().positive(),
    /**
     * The spread: the lowest and highest of the samples the median was taken of (the quartiles when there are 8 or
     * more); a sample the run tells only to the minute (a start-up without ECS events) counts with its minute's bounds.
     */
    low: z.number().finite().min(0),
    high: z.number().finite().min(0),
    samples: z.number().int().positive(),
    /** Where each sample came from: "row t=120 s: CPU 61.2 % × 2 tasks × 0.5 vCPU ÷ 42.00 served/s = 14.57 ms". */
    from: z.array(z.string()),
});

export const calibrationSchema = z.strictObject({
    kind: z.literal("calibration"),
    version: z.literal(1),
    source: z.strictObject({
        /** The observed timeline's file, stack file name and script. */
        observed: z.string(),
        stack: z.string(),
        script: z.string(),
        /** vCPUs per task of the stack the run was observed on: the CPU per request is per vCPU-second. */
        vcpusPerTask: z.number().positive(),
    }),
    /** CPU milliseconds one served request costs its task, everything included (the count, HTTP, the hand-off). */
    cpuMsPerRequest: figureSchema,
    /** From a scale-out's activity to the new task running (the simulator's taskStartupSeconds). */
    taskStartupSeconds: figureSchema.nullable(),
    /** From the end of a metric period until its alarm acted on it (the simulator's datapointDelaySeconds). */
    datapointDelaySeconds: figureSchema.nullable(),
    /** What the calibration could not fit and why, one sentence each. */
    notes: z.array(z.string()),
});

export type Calibration = z.infer<typeof calibrationSchema>;
export type CalibratedFigure = z.infer<typeof figureSchema>;

/** Parses a calibration file's text, naming the file and the first problems. */
export function parseCalibration(text: string, source: string): Calibration {
    const result = parseJsonText(text, source, calibrationSchema, {
        what: "a calibration (as timeline calibrate --out writes it)",
        hint: "pass a file written by timeline calibrate --out",
    });
    if (!result.ok) throw new InputError(result.message);
    return result.value;
}
