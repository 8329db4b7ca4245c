// A line chart (uPlot on a canvas) with the same numbers in a visually hidden table for screen
// readers and tests, and an optional visible note under it (what the metrics mean). x: step numbers;
// one array of values per series (null: no point).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from './format.ts';

export interface Series { label: string; values: (number | null)[]; color: string; dash?: number[] }

const PALETTE = ['#1d4ed8', '#15803d', '#b45309', '#7e22ce', '#be123c', '#0f766e'];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;

export function LineChart({ id, title, note, x, series, width = 420, height = 200, xLabel = 'step' }: { id: string; title: string; note?: string; x: number[]; series: Series[]; width?: number; height?: number; xLabel?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');
  useEffect(() => {
    const opts: uPlot.Options = {
      width, height, title,
      legend: { live: false },
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), max > min ? max + (max - min) * 0.05 : min + 1] } },
      axes: [{ label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, {}],
      series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, ...(s.dash ? { dash: s.dash } : {}), points: { show: true, size: 5 } }))],
    };
    plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, box.current!);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, [shape, width, height]);
  useEffect(() => { plot.current?.setData([x, ...series.map((s) => s.values)] as uPlot.AlignedData); });
  return (
    <figure class="chart" id={id} data-points={x.length}>
      <div ref={box} aria-hidden="true" />
      {note && <p class="help chart-note">{note}</p>}
      <figcaption class="sr-only">
        <table>
          <caption>{title}</caption>
          <thead><tr><th scope="col">{xLabel}</th>{series.map((s) => <th scope="col">{s.label}</th>)}</tr></thead>
          <tbody>{x.map((v, i) => <tr><td>{v}</td>{series.map((s) => <td>{s.values[i] == null ? '' : formatNumber(Number(s.values[i]), 4)}</td>)}</tr>)}</tbody>
        </table>
      </figcaption>
    </figure>
  );
}
