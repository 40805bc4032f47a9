// Line charts as plain SVG strings: no script, no external fonts or files, so that the same text goes inline
// into report.html and through @resvg/resvg-js into the PNGs of report.md.

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  width?: number;
  height?: number;
  /** Vertical marker lines, e.g. the suggested LR. */
  markers?: { x: number; label: string; color?: string }[];
  /** Clip the y axis to this range (a diverging range test would flatten everything else). */
  yMax?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

export function lineChart(o: ChartOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const m = { left: 64, right: 16, top: 34, bottom: 46 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const tx = (x: number): number => (o.logX ? Math.log10(x) : x);
  const all = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(y) && Number.isFinite(tx(x)));
  const xs = all.map(([x]) => tx(x));
  let ys = all.map(([, y]) => y);
  if (o.yMax !== undefined) ys = ys.map((y) => Math.min(y, o.yMax as number));
  let x0 = xs.length ? Math.min(...xs) : 0;
  let x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = ys.length ? Math.min(...ys) : 0;
  let y1 = ys.length ? Math.max(...ys) : 1;
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => m.left + ((tx(x) - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => m.top + (1 - (Math.min(y, y1) - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
  );
  // Grid and ticks.
  const xTicks = o.logX
    ? Array.from({ length: Math.floor(x1) - Math.ceil(x0) + 1 }, (_, i) => Math.ceil(x0) + i)
    : niceTicks(x0, x1);
  for (const t of xTicks) {
    const px = m.left + ((t - x0) / (x1 - x0)) * pw;
    parts.push(
      `<line x1="${px.toFixed(1)}" y1="${m.top}" x2="${px.toFixed(1)}" y2="${m.top + ph}" stroke="#e5e5e5"/>`,
      `<text x="${px.toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${o.logX ? `1e${t}` : fmt(t)}</text>`,
    );
  }
  for (const t of niceTicks(y0, y1)) {
    const py = sy(t);
    parts.push(
      `<line x1="${m.left}" y1="${py.toFixed(1)}" x2="${m.left + pw}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="14" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + ph / 2})">${esc(o.yLabel)}</text>`,
  );
  for (const [mi, mk] of (o.markers ?? []).entries()) {
    if (!Number.isFinite(tx(mk.x))) continue;
    const px = sx(mk.x);
    const color = mk.color ?? '#555';
    parts.push(
      `<line x1="${px.toFixed(1)}" y1="${m.top}" x2="${px.toFixed(1)}" y2="${m.top + ph}" stroke="${color}" stroke-dasharray="4 3"/>`,
      `<text x="${(px + 3).toFixed(1)}" y="${m.top + 12 + mi * 13}" fill="${color}" font-size="11">${esc(mk.label)}</text>`,
    );
  }
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(y) && Number.isFinite(tx(x)));
    if (pts.length === 0) return;
    const d = pts.map(([x, y], j) => `${j ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    if (pts.length === 1) {
      parts.push(`<circle cx="${sx(pts[0]![0]).toFixed(1)}" cy="${sy(pts[0]![1]).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = m.top + 10 + i * 16;
    const lx = m.left + pw - 150;
    parts.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 27}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
