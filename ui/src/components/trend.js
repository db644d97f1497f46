// The trend of results over the recorded scans (/api/v1/history), drawn with uPlot.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { RESULTS } from '../api.js';
import { dateTime } from '../format.js';
import { Card, ResultTiles } from './ui.js';

export const RESULT_COLORS = {
  pass: '#1f883d',
  fail: '#d1242f',
  warn: '#bf8700',
  error: '#8250df',
  skip: '#8c959f',
};

function toSeconds(time) {
  const ms = new Date(time).getTime();
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

export function TrendChart({ items, height = 240 }) {
  const box = useRef(null);
  useEffect(() => {
    const element = box.current;
    if (!element || items.length === 0) return undefined;
    const data = [items.map((i) => toSeconds(i.time)), ...RESULTS.map((r) => items.map((i) => i[r] || 0))];
    const first = data[0][0];
    const last = data[0][data[0].length - 1];
    // Results with no count in any scan are left out of the legend to keep it readable.
    const shown = RESULTS.map((r, k) => data[k + 1].some((v) => v > 0) || r === 'pass' || r === 'fail');
    const options = {
      width: Math.max(320, element.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        // One scan alone sits in the middle of a two-hour window rather than of an arbitrary span.
        x: { time: true, range: () => (first === last ? [first - 3600, last + 3600] : [first, last]) },
        y: { range: (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      axes: [
        { stroke: '#57606a', grid: { stroke: '#eaeef2' }, ticks: { stroke: '#d0d7de' } },
        { stroke: '#57606a', grid: { stroke: '#eaeef2' }, ticks: { stroke: '#d0d7de' }, size: 60 },
      ],
      // Without the pointer on the chart, the legend shows the latest scan's counts.
      hooks: { ready: [(u) => u.setLegend({ idx: items.length - 1 })], setCursor: [(u) => u.cursor.idx == null && u.setLegend({ idx: items.length - 1 })] },
      series: [
        { label: 'Scan', value: (u, v) => (v == null ? '–' : dateTime(v)) },
        ...RESULTS.map((r, k) => ({
          label: r,
          show: shown[k],
          stroke: RESULT_COLORS[r],
          width: 2,
          fill: r === 'fail' ? 'rgba(209,36,47,0.06)' : undefined,
          points: { show: true, size: 7, fill: RESULT_COLORS[r] },
        })),
      ],
    };
    const chart = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(320, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [JSON.stringify(items), height]);
  if (items.length === 0) {
    return html`<div class="empty" data-testid="trend-empty">No scan recorded yet: the trend appears after the first scan settles.</div>`;
  }
  return html`<div class="trend" ref=${box} data-testid="trend-chart" data-points=${items.length}></div>`;
}

// One namespace's or one policy's totals, each a link, over the trend of its own history.
export function TotalsAndTrend({ totals, history, linkOf }) {
  return html`
    <${ResultTiles} totals=${totals} linkOf=${linkOf} />
    <${Card} title="Results over time" testid="trend-card">
      <${TrendChart} items=${history} height=${180} />
    <//>`;
}
