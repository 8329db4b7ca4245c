// A line chart (uPlot on a canvas) that fills its card, with the same numbers in a visually hidden
// table for screen readers and tests, and an optional visible note under it (what the metrics mean).
// x: step numbers; one array of values per series (null: no point). The y axis says its unit and
// range (a preset of Y_AXES); a reward chart marks its maximum with a dashed line. Hovering shows
// every series' value at that step (uPlot's live legend). Series differ by dash pattern and point
// shape as well as by colour (a colour-blind-safe palette), and the legend draws both. With
// `presentation` on <body> (the projector view) type, lines and points are larger.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from './format.ts';

export interface Series { label: string; values: (number | null)[]; color?: string; dash?: number[] }

/** A y axis: its label with the unit, how values read, its fixed range (else from the data), a dashed line at a maximum. */
export interface YAxis {
  /** "mean reward (0–2)", "share of completions (%)" */
  label: string;
  /** 'percent': values are shares 0–1 shown as 0–100 % */
  format?: 'number' | 'percent';
  /** the axis always shows at least [min, max] (data beyond them widens it) */
  min?: number; max?: number;
  /** a dashed line at this value, labelled (the reward's maximum) */
  maxLine?: { value: number; label: string };
}

/** The Studio's axes: every chart says what its numbers are in. */
export const Y_AXES = {
  reward: (max = 2): YAxis => ({ label: `reward (0–${formatNumber(max)})`, min: 0, max, maxLine: { value: max, label: `maximum ${formatNumber(max)}` } }),
  rate: { label: 'share of completions (%)', format: 'percent', min: 0, max: 1 } as YAxis,
  tokenShare: { label: 'share of tokens (%)', format: 'percent', min: 0, max: 1 } as YAxis,
  kl: { label: 'KL (nats per token)', min: 0 } as YAxis,
  entropy: { label: 'entropy (nats per token)', min: 0 } as YAxis,
  tokens: { label: 'tokens per completion', min: 0 } as YAxis,
  tokensPerSecond: { label: 'tokens/s', min: 0 } as YAxis,
  seconds: { label: 'seconds', min: 0 } as YAxis,
  value: { label: 'value' } as YAxis,
};

/** Okabe–Ito: told apart with the common colour-vision deficiencies; each ≥ 3:1 on white. */
const PALETTE = ['#0072B2', '#D55E00', '#007A5E', '#AA4499', '#000000', '#8A6100'];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;
/** dash patterns (CSS px, scaled with the line width): solid, dashed, dotted, dash-dot, long dash */
const DASHES: number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3], [14, 5]];
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
type Shape = typeof SHAPES[number];
export const dashOf = (i: number): number[] => DASHES[i % DASHES.length]!;
const shapeOf = (i: number): Shape => SHAPES[i % SHAPES.length]!;

/** Sizes for the page and for the projector (body.presentation): type and axis label in CSS px, lines, points, plot height. */
const SIZES = { normal: { font: 13, line: 2, point: 7, height: 230 }, presentation: { font: 20, line: 3.5, point: 11, height: 380 } };

/** Whether <body> has the presentation class, kept current (a MutationObserver on its class). */
export function usePresentation(): boolean {
  const read = () => typeof document !== 'undefined' && document.body.classList.contains('presentation');
  const [on, setOn] = useState(read);
  useEffect(() => {
    const watch = new MutationObserver(() => setOn(read()));
    watch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    setOn(read());
    return () => watch.disconnect();
  }, []);
  return on;
}

/** A shape of `size` CSS px centred on (x, y), added to a path (canvas or SVG path). */
function addShape(p: Path2D, shape: Shape, x: number, y: number, size: number): void {
  const r = size / 2;
  if (shape === 'circle') { p.moveTo(x + r, y); p.arc(x, y, r, 0, 2 * Math.PI); return; }
  if (shape === 'square') { p.rect(x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r); return; }
  if (shape === 'triangle') { p.moveTo(x, y - r); p.lineTo(x + r, y + r * 0.8); p.lineTo(x - r, y + r * 0.8); p.closePath(); return; }
  if (shape === 'diamond') { p.moveTo(x, y - r); p.lineTo(x + r, y); p.lineTo(x, y + r); p.lineTo(x - r, y); p.closePath(); return; }
  p.moveTo(x - r, y - r); p.lineTo(x + r, y + r); p.moveTo(x + r, y - r); p.lineTo(x - r, y + r);
}

/** The same shape as SVG path data (the legend's swatch). */
function shapePath(shape: Shape, x: number, y: number, size: number): string {
  const r = size / 2;
  if (shape === 'circle') return `M${x + r},${y} A${r},${r} 0 1,1 ${x - r},${y} A${r},${r} 0 1,1 ${x + r},${y} Z`;
  if (shape === 'square') return `M${x - r * 0.85},${y - r * 0.85} h${1.7 * r} v${1.7 * r} h${-1.7 * r} Z`;
  if (shape === 'triangle') return `M${x},${y - r} L${x + r},${y + r * 0.8} L${x - r},${y + r * 0.8} Z`;
  if (shape === 'diamond') return `M${x},${y - r} L${x + r},${y} L${x},${y + r} L${x - r},${y} Z`;
  return `M${x - r},${y - r} L${x + r},${y + r} M${x + r},${y - r} L${x - r},${y + r}`;
}

/** uPlot's point drawing for a series: its shape at every point with a value. */
function shapePoints(shape: Shape, size: number): uPlot.Series.Points.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const p = new Path2D();
    const xs = u.data[0], ys = u.data[seriesIdx]!;
    const scale = u.series[seriesIdx]!.scale ?? 'y';
    for (let i = idx0; i <= idx1; i++) {
      const v = ys[i];
      if (v == null) continue;
      addShape(p, shape, u.valToPos(xs[i]!, 'x', true), u.valToPos(v, scale, true), size * uPlot.pxRatio);
    }
    return { stroke: p, fill: p };
  };
}

/** A series' last value (null: none). */
function latest(u: uPlot, seriesIdx: number): number | null {
  const ys = u.data[seriesIdx] ?? [];
  for (let i = ys.length - 1; i >= 0; i--) if (ys[i] != null) return ys[i] as number;
  return null;
}

/** The axis for a chart given none: read from its title (a reward, or a rate/accuracy share), else plain values. */
export function axisForTitle(title: string): YAxis {
  if (/reward/i.test(title) && !/std|spread/i.test(title)) return Y_AXES.reward();
  if (/accuracy|rate|share/i.test(title)) return Y_AXES.rate;
  return Y_AXES.value;
}

export function LineChart({ id, title, note, x, series, y = axisForTitle(title), xLabel = 'step' }: {
  id: string; title: string; note?: string; x: number[]; series: Series[]; y?: YAxis; xLabel?: string;
  /** ignored (the chart takes its card's width); kept for callers written before it did */
  width?: number; height?: number;
}) {
  const figure = useRef<HTMLElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const big = usePresentation();
  const size = big ? SIZES.presentation : SIZES.normal;
  const shape = `${series.map((s) => `${s.label}:${s.color ?? ''}:${(s.dash ?? []).join(',')}`).join('|')}|${JSON.stringify(y)}|${xLabel}|${title}`;
  const data = (): uPlot.AlignedData => [x, ...series.map((s) => s.values)] as uPlot.AlignedData;
  const fmt = (v: number | null | undefined) => (v == null ? '—' : y.format === 'percent' ? `${formatNumber(100 * v, 3)} %` : formatNumber(v, 4));
  useEffect(() => {
    const el = box.current!, fig = figure.current!;
    const font = `${size.font}px system-ui, sans-serif`, labelFont = `600 ${size.font}px system-ui, sans-serif`;
    const axisWidth = (_u: uPlot, values: string[] | null) => Math.ceil(Math.max(2, ...(values ?? []).map((v) => String(v).length)) * size.font * 0.62) + 14;
    const maxLine = y.maxLine;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth || 420), height: size.height, title,
      legend: { live: true, markers: { width: 0, fill: () => 'transparent' } },
      cursor: { points: { size: size.point + 4 } },
      scales: {
        x: { time: false, range: (_u, lo, hi) => (lo === hi || lo == null ? [(lo ?? 1) - 0.5, (hi ?? 1) + 0.5] : [lo, hi]) },
        y: {
          range: (_u, lo, hi) => {
            const a = Math.min(y.min ?? lo ?? 0, lo ?? 0), b0 = Math.max(y.max ?? -Infinity, hi ?? 0);
            const b = b0 > a ? b0 : a + 1;
            // room above a marked maximum for its label
            return [a, maxLine ? b + (b - a) * 0.08 : y.max !== undefined && b === y.max ? b : b + (b - a) * 0.05];
          },
        },
      },
      axes: [
        { label: xLabel, font, labelFont, labelSize: size.font + 8, stroke: '#1f2937', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#9ca3af' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], size: size.font * 2 + 10 },
        {
          label: y.label, font, labelFont, labelSize: size.font + 8, stroke: '#1f2937', grid: { stroke: '#e5e7eb' }, ticks: { stroke: '#9ca3af' }, size: axisWidth,
          values: (_u, ticks) => ticks.map((t) => (y.format === 'percent' ? `${formatNumber(100 * t, 3)} %` : formatNumber(t, 3))),
        },
      ],
      series: [
        // not hovering (idx null): the legend reads the last step's values
        { label: xLabel, value: (u, v, _s, idx) => { const w = idx == null ? latest(u, 0) : v; return w == null ? '—' : String(w); } },
        ...series.map((s, i) => ({
          label: s.label, stroke: s.color ?? color(i), width: size.line, dash: (s.dash ?? dashOf(i)).map((d) => d * size.line / 2),
          value: (u: uPlot, v: number | null, si: number, idx: number | null) => fmt(idx == null ? latest(u, si) : v),
          points: { show: true, size: size.point, width: 1.5, fill: s.color ?? color(i), stroke: s.color ?? color(i), paths: shapePoints(shapeOf(i), size.point) },
        })),
      ],
      hooks: {
        draw: [(u) => {
          if (!maxLine) return;
          const ctx = u.ctx, r = uPlot.pxRatio;
          // on a pixel boundary, 2 px wide: the rows at-1 and at are covered whole
          const at = Math.round(u.valToPos(maxLine.value, 'y', true));
          ctx.save();
          ctx.strokeStyle = '#374151'; ctx.lineWidth = 2 * r; ctx.setLineDash([6 * r, 4 * r]);
          ctx.beginPath(); ctx.moveTo(u.bbox.left, at); ctx.lineTo(u.bbox.left + u.bbox.width, at); ctx.stroke();
          ctx.fillStyle = '#1f2937'; ctx.font = `${size.font * r}px system-ui, sans-serif`; ctx.textBaseline = 'bottom'; ctx.textAlign = 'left';
          ctx.fillText(maxLine.label, u.bbox.left + 6 * r, at - 3 * r);
          ctx.restore();
          // where the line is, in CSS px from the canvas's top (tests read the canvas there)
          fig.dataset.maxLineY = String(at / r);
        }],
        ready: [(u) => {
          // the legend's swatches: each series' dash and point shape, as drawn
          u.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
            if (i === 0) return;
            const s = series[i - 1]!, dash = s.dash ?? dashOf(i - 1), c = s.color ?? color(i - 1);
            row.dataset.dash = dash.length ? dash.join(',') : 'solid';
            row.dataset.shape = shapeOf(i - 1);
            const marker = row.querySelector<HTMLElement>('.u-marker');
            if (!marker) return;
            const w = size.font * 3, h = size.font;
            marker.style.width = `${w}px`; marker.style.height = `${h}px`; marker.style.border = 'none';
            marker.innerHTML = `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><line x1="1" y1="${h / 2}" x2="${w - 1}" y2="${h / 2}" stroke="${c}" stroke-width="${size.line}" stroke-dasharray="${dash.map((d) => d * size.line / 2).join(' ') || 'none'}"/><path d="${shapePath(shapeOf(i - 1), w / 2, h / 2, size.point)}" fill="${c}" stroke="${c}"/></svg>`;
          });
        }],
      },
    };
    const u = new uPlot(opts, data(), el);
    plot.current = u;
    fig.dataset.fontPx = String(size.font);
    // the card's width, now and whenever it changes (window, grid, presentation)
    let frame = 0;
    const resize = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => { const w = el.clientWidth; if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height: size.height }); });
    });
    resize.observe(el);
    return () => { cancelAnimationFrame(frame); resize.disconnect(); u.destroy(); plot.current = null; };
  }, [shape, big]);
  useEffect(() => { plot.current?.setData(data()); });
  return (
    <figure class="chart" id={id} ref={figure} data-points={x.length} data-y-label={y.label} {...(y.maxLine ? { 'data-max-line': String(y.maxLine.value) } : {})}>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
      {note && <p class="help chart-note">{note}</p>}
      <figcaption class="sr-only">
        <table>
          <caption>{title}: {y.label}{y.maxLine ? `, ${y.maxLine.label} marked` : ''}</caption>
          <thead><tr><th scope="col">{xLabel}</th>{series.map((s) => <th scope="col">{s.label}</th>)}</tr></thead>
          <tbody>{x.map((v, i) => <tr><td>{v}</td>{series.map((s) => <td>{s.values[i] == null ? '' : fmt(Number(s.values[i]))}</td>)}</tr>)}</tbody>
        </table>
      </figcaption>
    </figure>
  );
}
