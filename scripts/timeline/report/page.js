/* global document, window, uPlot */
/**
 * The report's charts, in the page: reads the JSON in #report-data (written by report.ts), and draws each chart spec
 * (charts.ts) into its <figure> with uPlot, every timeline (predicted, observed, calibrated) on the same axes, with a
 * prediction's band shaded around the series that have one. Horizontal lines (scaling thresholds, capacity bounds)
 * and event markers are elements over the plot, placed after every redraw, so they have hover titles and labels that
 * stay text.
 */
"use strict";

(function () {
    const data = JSON.parse(document.getElementById("report-data").textContent);
    const HEIGHT = 260;
    const MAX_WIDTH = 1000;
    const Y_AXIS_SIZE = 70; // one width for every chart, so their plot areas line up minute by minute

    /** Minutes → m:ss. */
    function clock(minutes) {
        const seconds = Math.round(minutes * 60);
        return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    }

    const FORMATS = {
        zero: (v) => v.toFixed(1) + " req/s",
        log: (v) => (v < 10 ? v.toFixed(1) : Math.round(v)) + " ms",
        percent: (v) => v.toFixed(1) + " %",
        tasks: (v) => String(v),
    };

    /** How a legend marker shows each role's lines (a CSS border style). */
    const LEGEND_DASH = { predicted: "solid", observed: "dashed", calibrated: "dotted" };

    const finite = (value) => typeof value === "number" && isFinite(value);

    /** "#rrggbb" → "rgba(r, g, b, opacity)". */
    function translucent(hex, opacity) {
        const channels = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
        return "rgba(" + channels.join(", ") + ", " + opacity + ")";
    }

    /**
     * What a chart draws of a timeline, in order: one line per series, then for each series with a band (when the
     * timeline has one) its low and high ends, invisible lines the shading between them is drawn from. The chart's
     * data columns and its uPlot series are both made from this list, so they stay in step.
     */
    function layers(chart, timeline) {
        const dashed = data.dashes[timeline.role] !== null;
        const lines = chart.series.filter((series) => series.field in timeline.columns).map((series) => ({
            values: timeline.columns[series.field],
            option: {
                label: timeline.role + " " + series.name,
                class: timeline.role,
                stroke: series.colors[timeline.role],
                // Dashes of a wide line read as blocks: dashed lines are at most 3 px wide.
                width: dashed ? Math.min(series.width, 3) : series.width,
                dash: data.dashes[timeline.role] || undefined,
                fill: series.fill ? series.fill[timeline.role] : undefined,
            },
        }));
        const band = timeline.band;
        const ends = band === null ? [] : chart.series.filter((series) => series.band);
        const bandLayers = ends.flatMap((series) =>
            ["low", "high"].map((end) => ({
                values: band[end][series.field],
                band: { end, fill: translucent(series.colors[timeline.role], data.bandOpacity) },
                option: { label: timeline.role + " " + series.name + " (" + end + " CPU)", class: "band", stroke: "transparent", width: 0 },
            })),
        );
        return lines.concat(bandLayers);
    }

    /** Whether a chart draws on a log scale: when its spec says so and every value is above 0 (log 0 is nowhere). */
    function logScale(chart) {
        if (chart.scale !== "log") return false;
        return data.timelines.every((timeline) => layers(chart, timeline).every((layer) => layer.values.every((value) => value === null || value > 0)));
    }

    /** The y range of a chart: its data, plus every horizontal line it draws, from a sensible floor. */
    function yRange(chart, rules, log) {
        const ruleMax = Math.max(0, ...rules.map((rule) => rule.value));
        return function (_u, min, max) {
            if (log) return finite(min) && finite(max) ? uPlot.rangeLog(min, max, 10, true) : [1, 1000];
            const top = Math.max(finite(max) ? max : 0, ruleMax);
            if (chart.scale === "percent") return [0, Math.max(100, top) * 1.05];
            if (chart.scale === "tasks") return [0, Math.max(1, top) + 1];
            return [0, top > 0 ? top * 1.1 : 1];
        };
    }

    /**
     * Points are not drawn (the lines read better without), except a value with no neighbour to join: between two
     * gaps it would otherwise not show at all. An x only the other timeline has (undefined) is not a gap.
     */
    function isolatedPoints(u, seriesIndex) {
        const values = u.data[seriesIndex];
        const neighbour = (i, step) => {
            for (let j = i + step; j >= 0 && j < values.length; j += step) if (values[j] !== undefined) return values[j];
            return null;
        };
        const isolated = [];
        for (let i = 0; i < values.length; i++) {
            if (values[i] !== null && values[i] !== undefined && neighbour(i, -1) === null && neighbour(i, 1) === null) isolated.push(i);
        }
        return isolated.length > 0 ? isolated : null;
    }

    /** A line's label, with its value unless the label already says it ("Average ≥ 40%: +1 task(s)"). */
    function ruleText(line) {
        const value = String(line.value);
        return line.label.includes(value) ? line.label : line.label + ": " + value + (line.kind === "threshold" ? " %" : "");
    }

    /**
     * The horizontal lines a chart draws: a line both timelines have is drawn once, unprefixed; one only a timeline
     * has is prefixed with its kind; lines at the same value are one line whose label names them all.
     */
    function rulesFor(chart) {
        const lines = [];
        for (const timeline of data.timelines) {
            const scaling = timeline.scaling;
            for (const source of chart.rules) {
                const own =
                    source === "cpuThresholds"
                        ? scaling.cpuThresholds.map((threshold) => ({ kind: "threshold", label: threshold.label, value: threshold.value }))
                        : [
                              { kind: "capacity", label: "min capacity", value: scaling.minCapacity },
                              { kind: "capacity", label: "max capacity", value: scaling.maxCapacity },
                          ];
                for (const line of own) lines.push(Object.assign(line, { timeline: timeline.role }));
            }
        }
        const unique = [];
        for (const line of lines) {
            const same = unique.find((other) => other.label === line.label && other.value === line.value);
            if (same) same.shared = true;
            else unique.push(line);
        }
        const both = data.timelines.length > 1;
        const rules = [];
        for (const line of unique) {
            const text = (both && !line.shared ? line.timeline + " " : "") + ruleText(line);
            const atValue = rules.find((rule) => rule.value === line.value);
            if (atValue) atValue.text += " · " + text;
            else rules.push({ kind: line.kind, value: line.value, text });
        }
        return rules;
    }

    function markersFor(chart) {
        const markers = [];
        for (const timeline of data.timelines) {
            for (const event of timeline.events) {
                if (chart.events.includes(event.kind)) markers.push({ timeline: timeline.role, t: event.t, kind: event.kind, detail: event.detail });
            }
        }
        return markers;
    }

    /**
     * The chart's data, uPlot series and bands, from every timeline's layers: columns [x, then each timeline's
     * layers] joined on x (an x one timeline lacks is skipped, not a gap), and a band from each high end to its low.
     */
    function chartPlot(chart) {
        const format = FORMATS[chart.scale];
        const tables = [];
        const series = [{ label: "time", value: (_u, v) => (v === null || v === undefined ? "–" : clock(v)) }];
        const bands = [];
        for (const timeline of data.timelines) {
            const timelineLayers = layers(chart, timeline);
            tables.push([timeline.t.map((t) => t / 60)].concat(timelineLayers.map((layer) => layer.values)));
            for (const layer of timelineLayers) {
                series.push(
                    Object.assign(
                        {
                            paths: chart.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
                            spanGaps: false,
                            points: { show: false, filter: isolatedPoints },
                            value: (_u, v) => (v === null || v === undefined ? "–" : format(v)),
                        },
                        layer.option,
                    ),
                );
                // A band's high end comes right after its low end; uPlot shades from the upper series to the lower.
                const index = series.length - 1;
                if (layer.band && layer.band.end === "high") bands.push({ series: [index, index - 1], fill: layer.band.fill });
            }
        }
        return { data: tables.length === 1 ? tables[0] : uPlot.join(tables), series, bands };
    }

    function overlay(u, rules, markers) {
        const ruleElements = rules.map((rule) => {
            const element = document.createElement("div");
            element.className = "rule " + rule.kind;
            element.dataset.value = String(rule.value);
            const label = document.createElement("span");
            label.className = "rule-label";
            label.textContent = rule.text;
            element.appendChild(label);
            u.over.appendChild(element);
            return { rule, element };
        });
        const markerElements = markers.map((marker) => {
            const element = document.createElement("div");
            element.className = "marker " + marker.kind + " " + marker.timeline;
            element.dataset.kind = marker.kind;
            element.dataset.timeline = marker.timeline;
            element.title = marker.timeline + " " + clock(marker.t / 60) + " " + marker.kind + ": " + marker.detail;
            element.style.setProperty("--marker", data.eventColors[marker.kind]);
            u.over.appendChild(element);
            return { marker, element };
        });
        return function place() {
            const height = u.over.clientHeight;
            const width = u.over.clientWidth;
            for (const { rule, element } of ruleElements) {
                const y = u.valToPos(rule.value, "y");
                element.style.top = y + "px";
                element.style.display = y >= -1 && y <= height + 1 ? "" : "none";
            }
            for (const { marker, element } of markerElements) {
                const x = u.valToPos(marker.t / 60, "x");
                element.style.left = x + "px";
                element.style.display = x >= -1 && x <= width + 1 ? "" : "none";
            }
        };
    }

    function chartWidth() {
        const container = document.getElementById("charts");
        return Math.max(480, Math.min(MAX_WIDTH, container.clientWidth));
    }

    const plots = [];
    for (const chart of data.charts) {
        const figure = document.getElementById("chart-" + chart.id);
        const rules = rulesFor(chart);
        const markers = markersFor(chart);
        const log = logScale(chart);
        let place = () => {};
        const plotted = chartPlot(chart);
        const options = {
            width: chartWidth(),
            height: HEIGHT,
            scales: {
                x: { time: false, range: () => [0, data.xMaxMinutes] },
                y: log ? { distr: 3, log: 10, range: yRange(chart, rules, log) } : { range: yRange(chart, rules, log) },
            },
            axes: [
                {
                    // Named under the last chart only: the charts share it.
                    label: chart === data.charts[data.charts.length - 1] ? "minutes from the start of the run" : undefined,
                    labelSize: chart === data.charts[data.charts.length - 1] ? 24 : 0,
                    incrs: [1, 2, 5, 10, 15, 30, 60, 120, 240],
                    values: (_u, splits) => splits.map(String),
                },
                {
                    label: chart.axis + (log ? " (log scale)" : ""),
                    size: Y_AXIS_SIZE,
                    incrs: chart.scale === "tasks" ? [1, 2, 5, 10, 20, 50, 100] : undefined,
                },
            ],
            series: plotted.series,
            bands: plotted.bands,
            cursor: { sync: { key: "timeline" }, drag: { x: false, y: false } },
            legend: { markers: { width: 3, dash: (u, i) => LEGEND_DASH[u.series[i].class] || "solid" } },
            hooks: { draw: [() => place()] },
        };
        const plot = new uPlot(options, plotted.data, figure.querySelector(".plot"));
        place = overlay(plot, rules, markers);
        place();
        plots.push(plot);
    }

    window.addEventListener("resize", () => {
        const width = chartWidth();
        for (const plot of plots) plot.setSize({ width, height: HEIGHT });
    });
})();
