// Decisions over time as an inline SVG bar chart (issue 12): our own few lines, no library.
// Bars are stacked per time bucket: allowed, then denied by code. Allowed is always `series-0`, so
// its colour does not change with the filter; each deny code takes the next class.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** `summary`: the answer of `GET /v1/audit/summary` (equal slices, each with counts per decision
 * and code). Returns an SVG with a title for screen readers, and the series in legend order. */
export function decisionChart(summary, { width = 720, height = 160 } = {}) {
  const slices = summary.buckets;
  const counts = slices.map(slice => {
    const bucket = {};
    for (const c of slice.counts) bucket[seriesOf(c)] = (bucket[seriesOf(c)] ?? 0) + c.events;
    return bucket;
  });
  const series = [...new Set(counts.flatMap(Object.keys))].sort((a, b) => (a === 'allowed' ? -1 : b === 'allowed' ? 1 : a.localeCompare(b)));
  const total = counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  const top = Math.max(1, ...counts.map(c => Object.values(c).reduce((a, b) => a + b, 0)));
  const barWidth = width / Math.max(1, slices.length);
  const start = new Date(summary.since), end = new Date(summary.until);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 20}`, role: 'img', 'aria-labelledby': 'chart-title' },
    svg('title', { id: 'chart-title' }, `Decisions over time: ${total} calls from ${start.toLocaleString()} to ${end.toLocaleString()}`));
  counts.forEach((bucket, i) => {
    let y = height;
    for (const name of series) {
      const h = ((bucket[name] ?? 0) / top) * height;
      if (!h) continue;
      y -= h;
      chart.append(svg('rect', { x: i * barWidth + 1, y, width: Math.max(1, barWidth - 2), height: h, class: seriesClass(series, name) },
        svg('title', {}, `${name}: ${bucket[name]} (from ${new Date(slices[i].start).toLocaleString()})`)));
    }
  });
  chart.append(svg('text', { x: 0, y: height + 16, class: 'axis' }, start.toLocaleString()),
    svg('text', { x: width, y: height + 16, 'text-anchor': 'end', class: 'axis' }, end.toLocaleString()));
  return { chart, series, total };
}

/** The CSS class of a series: `series-0` for allowed, `series-1` to `series-5` for deny codes. */
export function seriesClass(series, name) {
  if (name === 'allowed') return 'series-0';
  const denied = series.filter(s => s !== 'allowed');
  return `series-${1 + (denied.indexOf(name) % 5)}`;
}

function seriesOf(count) {
  return count.decision === 'allow' ? 'allowed' : `${count.decision === 'deny' ? 'denied' : count.decision}: ${count.code || 'policy'}`;
}
