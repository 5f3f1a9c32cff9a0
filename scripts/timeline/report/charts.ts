/**
 * What the report draws: four charts over the same x axis (minutes from the start of the run), each a list of row
 * fields. The page script (./page.js) draws whatever these specs say; the browser test reads the same specs to know
 * which series, colours, lines and markers each chart must show.
 */
import type { BandField } from "../band";
import type { TimelineEventKind, TimelineRow } from "../timeline";

export type SeriesField = Exclude<keyof TimelineRow, "t">;

/**
 * The three ways a timeline is drawn: predicted before a run (simulate), observed (observe), and calibrated: predicted
 * again with what the run showed (simulate --calibration). Predicted and calibrated timelines both have kind
 * "predicted"; the report is told which is which.
 */
export const ROLES = ["predicted", "observed", "calibrated"] as const;
export type ReportRole = (typeof ROLES)[number];
/** The roles that are predictions, whose error against the observed run the report shows. */
export const PREDICTIONS = ["predicted", "calibrated"] as const satisfies readonly ReportRole[];

interface SeriesLook {
    /** The legend's name, after the timeline's role: "predicted served". */
    name: string;
    /** One colour per role: a lighter shade predicted (solid), a darker one observed (dashed), one between calibrated (dash-dot). */
    colors: Record<ReportRole, string>;
    /** Line width in CSS px (dashed lines at most 3). */
    width: number;
    /** Area fill under the line, per role; none when absent. */
    fill?: Record<ReportRole, string>;
}

/** A series; `band`: a prediction's band (low..high per-request CPU) is shaded around it, for a field the band keeps. */
export type SeriesSpec = SeriesLook & ({ field: SeriesField; band?: undefined } | { field: BandField; band: true });

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

const trio = (predicted: string, observed: string, calibrated: string): Record<ReportRole, string> => ({ predicted, observed, calibrated });

/** Predicted lines are solid, observed dashed, calibrated dash-dotted: [dash, gap, ...] in CSS px. */
export const ROLE_DASHES: Record<ReportRole, number[] | null> = { predicted: null, observed: [7, 4], calibrated: [12, 3, 2, 3] };

/** Opacity of a band's shading, in its series' colour. */
export const BAND_OPACITY = 0.25;

/** Marker colours by event kind (CSS); markers are solid, dashed or dotted by role, like the series. */
export const EVENT_COLORS: Record<TimelineEventKind, string> = {
    alarm: "#dc2626",
    deployment: "#2563eb",
    rollback: "#be123c",
    scaling: "#7c3aed",
    task: "#64748b",
    service: "#0891b2",
};

/** Events drawn as ticks at the foot of the tasks chart: plain (task, service) or marked with a shape (deployment, rollback). */
export const FOOT_EVENTS = ["task", "service", "deployment", "rollback"] as const satisfies readonly TimelineEventKind[];
/** Foot ticks that carry a shape above them, and that the lede names only when a timeline has one. */
export const MARKED_FOOT_EVENTS = ["deployment", "rollback"] as const satisfies readonly TimelineEventKind[];

export const CHARTS: ChartSpec[] = [
    {
        id: "load",
        title: "Load: requests offered, served, shed and failed",
        axis: "requests / s",
        scale: "zero",
        stepped: false,
        series: [
            // Wide and pale underneath: where served covers it, nothing was shed.
            { field: "offeredRps", name: "offered", colors: trio("#a5b4fc", "#4338ca", "#818cf8"), width: 5 },
            { field: "servedRps", name: "served", colors: trio("#22c55e", "#166534", "#15803d"), width: 2 },
            {
                field: "shedRps",
                name: "shed (503)",
                colors: trio("#ef4444", "#7f1d1d", "#b91c1c"),
                width: 2,
                fill: trio("rgba(239, 68, 68, 0.18)", "rgba(127, 29, 29, 0.12)", "rgba(185, 28, 28, 0.12)"),
                band: true,
            },
            // Observed only: the service's errors and the load balancer's own 5xx (a prediction has none).
            { field: "errorRps", name: "errors (other 5xx)", colors: trio("#f59e0b", "#78350f", "#b45309"), width: 1 },
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
            { field: "p50Ms", name: "p50", colors: trio("#06b6d4", "#155e75", "#0e7490"), width: 2 },
            { field: "p99Ms", name: "p99", colors: trio("#d946ef", "#701a75", "#a21caf"), width: 2, band: true },
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
            { field: "cpuAverage", name: "CPU average", colors: trio("#3b82f6", "#1e3a8a", "#1d4ed8"), width: 2 },
            { field: "cpuMaximum", name: "CPU maximum", colors: trio("#f97316", "#9a3412", "#c2410c"), width: 2 },
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
            { field: "desiredTasks", name: "desired", colors: trio("#a78bfa", "#4c1d95", "#6d28d9"), width: 4 },
            { field: "pendingTasks", name: "pending", colors: trio("#eab308", "#854d0e", "#a16207"), width: 2 },
            { field: "runningTasks", name: "running", colors: trio("#16a34a", "#14532d", "#15803d"), width: 2, band: true },
        ],
        rules: ["capacity"],
        events: ["alarm", "scaling", ...FOOT_EVENTS],
    },
];
