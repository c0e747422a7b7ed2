/** One uPlot line chart; data updates in place (setData) so live curves do not flicker. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed'];

export interface ChartProps {
  title: string;
  x: number[];
  ys: (number | null)[][];
  labels: string[];
  width?: number;
  height?: number;
  xLabel?: string;
  /** Series drawn dashed (e.g. confidence bounds), by index into `labels`. */
  dashed?: boolean[];
}

export function Chart({ title, x, ys, labels, width = 420, height = 220, xLabel = 'step', dashed = [] }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${labels.join('|')}|${width}|${height}|${dashed.join(',')}`;
  useEffect(() => {
    if (!host.current) return;
    const opts: uPlot.Options = {
      title,
      width,
      height,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, { size: 60 }],
      series: [
        { label: xLabel },
        ...labels.map((l, i) => ({
          label: l,
          stroke: PALETTE[i % PALETTE.length],
          width: dashed[i] ? 1 : 2,
          dash: dashed[i] ? [5, 4] : undefined,
          spanGaps: true,
          points: { show: x.length < 60 && !dashed[i] },
        })),
      ],
      legend: { live: true },
    };
    plot.current = new uPlot(opts, [x, ...ys] as uPlot.AlignedData, host.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its shape changes; data flows through setData below.
  }, [shape, title]);
  useEffect(() => {
    plot.current?.setData([x, ...ys] as uPlot.AlignedData);
  }, [x, ys]);
  return <div className="chart" ref={host} data-testid={`chart-${title}`} data-points={x.length} />;
}
