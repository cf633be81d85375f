// Charts drawn as inline SVG: horizontal stacked bars (aged balance), a line
// (DSO trend) and columns (cash forecast). Amounts arrive as exact decimal
// strings; they become floats here only to place shapes, never to be shown.

import { h, s } from "./dom.js";

/** Drawing widths, in SVG units: a full-width panel, and a half-width one. */
const WIDE = 1100;
const NARROW = 560;
const LABEL_WIDTH = 190;
const RIGHT_MARGIN = 16;

/** About `count` round steps from 0 to at least `max`. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
  const ticks = [];
  for (let tick = 0; tick < max + step; tick += step) ticks.push(tick);
  return ticks;
}

function amount(value) {
  const number = Number.parseFloat(value);
  return Number.isFinite(number) && number > 0 ? number : 0;
}

function chart(width, height, title, ...content) {
  return s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" },
    s("title", {}, title),
    ...content,
  );
}

function verticalGrid(ticks, scale, top, bottom, formatTick) {
  return ticks.map((tick) => {
    const x = LABEL_WIDTH + scale(tick);
    return s(
      "g",
      { class: "grid" },
      s("line", { x1: x, x2: x, y1: top, y2: bottom }),
      s("text", { x, y: bottom + 14, "text-anchor": "middle" }, formatTick(tick)),
    );
  });
}

/**
 * Horizontal bars, one per row, each split into the series' segments.
 * `rows`: `[{ label, values: [decimal string per series] }]`;
 * `series`: `[{ label }]`; `format(value, seriesIndex)` writes an amount.
 */
export function stackedBars({ title, rows, series, format, formatTick, width = WIDE }) {
  const rowHeight = 26;
  const top = 8;
  const bottom = top + rows.length * rowHeight;
  const totals = rows.map((row) => row.values.reduce((sum, value) => sum + amount(value), 0));
  const ticks = niceTicks(Math.max(...totals, 0));
  const span = width - LABEL_WIDTH - RIGHT_MARGIN;
  const scale = (value) => (value / ticks[ticks.length - 1]) * span;

  const bars = rows.map((row, index) => {
    const y = top + index * rowHeight + 4;
    let x = LABEL_WIDTH;
    const segments = row.values.map((value, seriesIndex) => {
      const width = scale(amount(value));
      const segment = s(
        "rect",
        { x, y, width, height: rowHeight - 8, class: `series-${seriesIndex}` },
        s("title", {}, `${row.label} · ${series[seriesIndex].label}: ${format(value, seriesIndex)}`),
      );
      x += width;
      return segment;
    });
    return s(
      "g",
      { class: "bar", "data-label": row.label },
      s("text", { x: LABEL_WIDTH - 8, y: y + rowHeight / 2, "text-anchor": "end", class: "row-label" }, clip(row.label)),
      segments,
    );
  });

  return chart(width, bottom + 24, title, verticalGrid(ticks, scale, top, bottom, formatTick), bars);
}

/** The key of a chart: each series' colour and name. */
export function legend(series) {
  return h(
    "ul",
    { class: "legend" },
    series.map((entry, index) =>
      h(
        "li",
        {},
        s(
          "svg",
          { viewBox: "0 0 12 12", class: "swatch", "aria-hidden": "true" },
          s("rect", { width: 12, height: 12, rx: 2, class: `series-${index}` }),
        ),
        entry.label,
      ),
    ),
  );
}

/**
 * Points joined by a line: `points` are `[{ label, value }]` with numbers,
 * `null` for a month without a figure; `format` writes a point's value and
 * `formatTick` the axis.
 */
export function lineChart({ title, points, format, formatTick, width = NARROW }) {
  const height = 260;
  const left = 48;
  const top = 12;
  const bottom = height - 28;
  const values = points.map((point) => point.value).filter((value) => value !== null && value !== undefined);
  const ticks = niceTicks(Math.max(...values, 0));
  const maximum = ticks[ticks.length - 1] || 1;
  const step = points.length > 1 ? (width - left - RIGHT_MARGIN) / (points.length - 1) : 0;
  const x = (index) => left + index * step;
  const y = (value) => bottom - (value / maximum) * (bottom - top);

  const grid = ticks.map((tick) =>
    s(
      "g",
      { class: "grid" },
      s("line", { x1: left, x2: width - RIGHT_MARGIN, y1: y(tick), y2: y(tick) }),
      s("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, formatTick(tick)),
    ),
  );
  const path = points
    .map((point, index) => (point.value === null || point.value === undefined ? null : `${x(index)},${y(point.value)}`))
    .filter(Boolean);
  const labelEvery = Math.ceil(points.length / 6);
  const dots = points.map((point, index) =>
    point.value === null || point.value === undefined
      ? null
      : s(
          "circle",
          { cx: x(index), cy: y(point.value), r: 3.5, class: "dot" },
          s("title", {}, `${point.label}: ${format(point.value)}`),
        ),
  );
  const labels = points.map((point, index) =>
    index % labelEvery === 0 ? s("text", { x: x(index), y: bottom + 16, "text-anchor": "middle", class: "axis" }, point.label) : null,
  );

  return chart(
    width,
    height,
    title,
    grid,
    path.length > 1 ? s("polyline", { points: path.join(" "), class: "line" }) : null,
    dots,
    labels,
  );
}

/** One column per point: `points` are `[{ label, value: decimal string }]`. */
export function columnChart({ title, points, format, formatTick, width = NARROW }) {
  const height = 260;
  const left = 64;
  const top = 12;
  const bottom = height - 28;
  const ticks = niceTicks(Math.max(...points.map((point) => amount(point.value)), 0));
  const maximum = ticks[ticks.length - 1] || 1;
  const slot = (width - left - RIGHT_MARGIN) / Math.max(points.length, 1);
  const y = (value) => bottom - (value / maximum) * (bottom - top);

  const grid = ticks.map((tick) =>
    s(
      "g",
      { class: "grid" },
      s("line", { x1: left, x2: width - RIGHT_MARGIN, y1: y(tick), y2: y(tick) }),
      s("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, formatTick(tick)),
    ),
  );
  const columns = points.map((point, index) => {
    const value = amount(point.value);
    const x = left + index * slot + slot * 0.15;
    return s(
      "g",
      { class: "column" },
      s(
        "rect",
        { x, y: y(value), width: slot * 0.7, height: bottom - y(value), class: "series-0" },
        s("title", {}, `${point.label}: ${format(point.value)}`),
      ),
      index % 2 === 0
        ? s("text", { x: x + slot * 0.35, y: bottom + 16, "text-anchor": "middle", class: "axis" }, point.label)
        : null,
    );
  });

  return chart(width, height, title, grid, columns);
}

function clip(label) {
  return label.length > 24 ? `${label.slice(0, 23)}…` : label;
}
