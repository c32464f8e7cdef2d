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

/** `events`: audit rows (`time`, `decision`, `code`). Returns an SVG with a title for screen readers. */
export function decisionChart(events, { buckets = 24, width = 720, height = 160 } = {}) {
  const times = events.map(e => Date.parse(e.time));
  const start = Math.min(...times), end = Math.max(...times) + 1;
  const step = Math.max(1, (end - start) / buckets);
  const series = [...new Set(events.map(seriesOf))].sort((a, b) => (a === 'allowed' ? -1 : b === 'allowed' ? 1 : a.localeCompare(b)));
  const counts = Array.from({ length: buckets }, () => Object.fromEntries(series.map(s => [s, 0])));
  events.forEach((e, i) => { counts[Math.min(buckets - 1, Math.floor((times[i] - start) / step))][seriesOf(e)] += 1; });
  const top = Math.max(1, ...counts.map(c => Object.values(c).reduce((a, b) => a + b, 0)));
  const barWidth = width / buckets;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 20}`, role: 'img', 'aria-labelledby': 'chart-title' },
    svg('title', { id: 'chart-title' }, `Decisions over time: ${events.length} events from ${new Date(start).toLocaleString()} to ${new Date(end).toLocaleString()}`));
  counts.forEach((bucket, i) => {
    let y = height;
    for (const name of series) {
      const h = (bucket[name] / top) * height;
      if (!h) continue;
      y -= h;
      chart.append(svg('rect', { x: i * barWidth + 1, y, width: barWidth - 2, height: h, class: seriesClass(series, name) },
        svg('title', {}, `${name}: ${bucket[name]}`)));
    }
  });
  chart.append(svg('text', { x: 0, y: height + 16, class: 'axis' }, new Date(start).toLocaleTimeString()),
    svg('text', { x: width, y: height + 16, 'text-anchor': 'end', class: 'axis' }, new Date(end).toLocaleTimeString()));
  return { chart, series };
}

/** The CSS class of a series: `series-0` for allowed, `series-1` to `series-5` for deny codes. */
export function seriesClass(series, name) {
  if (name === 'allowed') return 'series-0';
  const denied = series.filter(s => s !== 'allowed');
  return `series-${1 + (denied.indexOf(name) % 5)}`;
}

function seriesOf(event) {
  return event.decision === 'allow' ? 'allowed' : `denied: ${event.code || 'policy'}`;
}
