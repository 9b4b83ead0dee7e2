/**
 * The part of plotly.js 4 that the loss-curve view uses. plotly.js-dist-min
 * 4.1.2 ships its own full declarations; this ambient module (which takes
 * precedence over them) keeps what the view depends on small, explicit and
 * quick to type-check.
 */
declare module 'plotly.js-dist-min' {
  /** A trace, as far as the view fills it in. */
  export interface PlotlyTrace {
    type: 'scatter' | 'scattergl';
    mode?: string;
    name?: string;
    x: number[];
    y: (number | null)[];
    yaxis?: 'y' | 'y2';
    line?: { color?: string; width?: number; dash?: string };
    marker?: { color?: string; size?: number };
    hovertemplate?: string;
    connectgaps?: boolean;
    /** 0..1; the raw line behind a smoothed one is faint. */
    opacity?: number;
    showlegend?: boolean;
    /** Traces of one group are shown and hidden together from the legend. */
    legendgroup?: string;
  }
  export type PlotlyLayout = Record<string, unknown>;
  export type PlotlyConfig = Record<string, unknown>;

  /** Draws a new plot, or updates the one already in `root` with as little work as possible. */
  export function react(root: HTMLElement, data: PlotlyTrace[], layout?: PlotlyLayout, config?: PlotlyConfig): Promise<HTMLElement>;
  /** Removes the plot from `root` and frees what plotly kept for it. */
  export function purge(root: HTMLElement): void;
  export const Plots: { resize(root: HTMLElement): Promise<void> | void };

  const Plotly: { react: typeof react; purge: typeof purge; Plots: typeof Plots };
  export default Plotly;
}
