/**
 * What the report draws: four charts over the same x axis (minutes from the start of the run), each a list of row
 * fields. The page script (./page.js) draws whatever these specs say; the browser test reads the same specs to know
 * which series, colours, lines and markers each chart must show.
 */
import type { TimelineEventKind, TimelineKind, TimelineRow } from "../timeline";

export type SeriesField = Exclude<keyof TimelineRow, "t">;

export interface SeriesSpec {
    field: SeriesField;
    /** The legend's name, after the timeline's kind: "predicted served". */
    name: string;
    /** One colour per timeline: a lighter shade predicted (solid), a darker one observed (dashed). */
    colors: Record<TimelineKind, string>;
    /** Line width in CSS px (observed lines, dashed, at most 3). */
    width: number;
    /** Area fill under the line, per timeline; none when absent. */
    fill?: Record<TimelineKind, string>;
}

/**
 * The y scale: from 0 up to the data ("zero"); 0–100 % or more ("percent"); logarithmic ("log", for latency,
 * whose p99 under overload is 100 times its p50; linear when a value is 0); whole tasks from 0 to above the maximum
 * capacity ("tasks").
 */
export type ScaleKind = "zero" | "percent" | "log" | "tasks";

/** Horizontal lines a chart draws from the timeline's `scaling`. */
export type RuleSource = "cpuThresholds" | "capacity";

export interface ChartSpec {
    id: string;
    title: string;
    /** The y axis label, with its unit. */
    axis: string;
    scale: ScaleKind;
    /** Values held for the whole step (task counts) rather than joined point to point. */
    stepped: boolean;
    series: SeriesSpec[];
    rules: RuleSource[];
    /** Which events this chart marks with vertical lines. */
    events: TimelineEventKind[];
}

const pair = (predicted: string, observed: string): Record<TimelineKind, string> => ({ predicted, observed });

/** Observed lines are dashed: [dash, gap] in CSS px. */
export const OBSERVED_DASH = [7, 4];

/** Marker colours by event kind (CSS); predicted markers are solid, observed dashed, like the series. */
export const EVENT_COLORS: Record<TimelineEventKind, string> = { alarm: "#dc2626", scaling: "#7c3aed", task: "#64748b", service: "#0891b2" };

export const CHARTS: ChartSpec[] = [
    {
        id: "load",
        title: "Load: requests offered, served and shed",
        axis: "requests / s",
        scale: "zero",
        stepped: false,
        series: [
            // Wide and pale underneath: where served covers it, nothing was shed.
            { field: "offeredRps", name: "offered", colors: pair("#a5b4fc", "#4338ca"), width: 5 },
            { field: "servedRps", name: "served", colors: pair("#22c55e", "#166534"), width: 2 },
            {
                field: "shedRps",
                name: "shed (503)",
                colors: pair("#ef4444", "#7f1d1d"),
                width: 2,
                fill: pair("rgba(239, 68, 68, 0.18)", "rgba(127, 29, 29, 0.12)"),
            },
        ],
        rules: [],
        events: ["alarm", "scaling"],
    },
    {
        id: "latency",
        title: "Latency: median and 99th percentile",
        axis: "ms",
        scale: "log",
        stepped: false,
        series: [
            { field: "p50Ms", name: "p50", colors: pair("#06b6d4", "#155e75"), width: 2 },
            { field: "p99Ms", name: "p99", colors: pair("#d946ef", "#701a75"), width: 2 },
        ],
        rules: [],
        events: ["alarm", "scaling"],
    },
    {
        id: "cpu",
        title: "CPU utilization, with the scaling thresholds",
        axis: "CPU %",
        scale: "percent",
        stepped: false,
        series: [
            { field: "cpuAverage", name: "CPU average", colors: pair("#3b82f6", "#1e3a8a"), width: 2 },
            { field: "cpuMaximum", name: "CPU maximum", colors: pair("#f97316", "#9a3412"), width: 2 },
        ],
        rules: ["cpuThresholds"],
        events: ["alarm", "scaling"],
    },
    {
        id: "tasks",
        title: "Tasks: desired, pending and running, between min and max capacity",
        axis: "tasks",
        scale: "tasks",
        stepped: true,
        series: [
            { field: "desiredTasks", name: "desired", colors: pair("#a78bfa", "#4c1d95"), width: 4 },
            { field: "pendingTasks", name: "pending", colors: pair("#eab308", "#854d0e"), width: 2 },
            { field: "runningTasks", name: "running", colors: pair("#16a34a", "#14532d"), width: 2 },
        ],
        rules: ["capacity"],
        events: ["alarm", "scaling", "task"],
    },
];
