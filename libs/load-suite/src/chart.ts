import type { StageReport } from './stats';

/** A small self-contained SVG: p50 and p99 latency per second (left axis) and requests/s (right axis). */
export function latencyChart(report: StageReport): string {
  const W = 800, H = 360, L = 60, R = 60, T = 40, B = 40;
  const pts = report.perSecond;
  const maxX = Math.max(1, ...pts.map((p) => p.second + 1));
  const maxLat = Math.max(1, ...pts.map((p) => p.p99)) * 1.1;
  const maxQps = Math.max(1, ...pts.map((p) => p.count)) * 1.1;
  const x = (s: number) => L + ((s + 0.5) / maxX) * (W - L - R);
  const yL = (v: number) => H - B - (v / maxLat) * (H - T - B);
  const yR = (v: number) => H - B - (v / maxQps) * (H - T - B);
  const line = (f: (p: (typeof pts)[number]) => number, y: (v: number) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.second).toFixed(1)},${y(f(p)).toFixed(1)}`).join(' ')}"/>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${L - 6}" y="${yL(maxLat * f) + 4}" text-anchor="end">${(maxLat * f).toFixed(maxLat < 10 ? 1 : 0)}</text><text x="${W - R + 6}" y="${yR(maxQps * f) + 4}">${(maxQps * f).toFixed(0)}</text><line x1="${L}" x2="${W - R}" y1="${yL(maxLat * f)}" y2="${yL(maxLat * f)}" stroke="#eee"/>`)
    .join('');
  const esc = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${L}" y="20" font-size="14">${esc(`${report.scenario} / ${report.stage}: ${report.qps.toFixed(0)} req/s, p99 ${report.p99.toFixed(1)} ms, errors ${(report.errorRate * 100).toFixed(2)}%`)}</text>
${ticks}
<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>
<text x="${(W - L - R) / 2 + L}" y="${H - 8}" text-anchor="middle">seconds</text>
<text x="12" y="${T - 8}">ms</text><text x="${W - R}" y="${T - 8}">req/s</text>
${line((p) => p.count, yR, '#bbb')}
${line((p) => p.p50, yL, '#1f77b4')}
${line((p) => p.p99, yL, '#d62728')}
<text x="${L + 10}" y="${T + 10}" fill="#1f77b4">p50</text><text x="${L + 40}" y="${T + 10}" fill="#d62728">p99</text><text x="${L + 70}" y="${T + 10}" fill="#999">req/s</text>
</svg>
`;
}
