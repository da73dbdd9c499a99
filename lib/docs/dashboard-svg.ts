/**
 * A picture of a CloudWatch dashboard's layout, drawn from its synthesized body (`npm run docs` writes the README's):
 * each widget where CloudWatch places it on the 24-column grid, with its title and what it plots. Hand-written: no
 * library renders a dashboard body without the console, and the picture must come from the body the stack deploys.
 */

/** A widget of a dashboard body (the parts the picture uses). */
export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly markdown?: string;
    readonly title?: string;
    readonly alarms?: readonly unknown[];
    /** `[namespace, name, dimension, value, …, { label, stat }]` per line. */
    readonly metrics?: ReadonlyArray<ReadonlyArray<unknown>>;
  };
}

/** The README's picture: the dashboard of this example pipeline. */
export const DASHBOARD_PICTURE = {
  pipeline: 'web-access',
  file: 'docs/dashboard-web-access.svg',
  title: 'CloudWatch dashboard Logtong-web-access (example pipeline web-access: S3 → copy → staging → processor → OpenSearch), as synthesized',
} as const;

const COLUMN = 40;
const ROW = 26;
const PAD = 4;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What a graph line is called on the dashboard: its label, else its metric name. */
function lineName(line: ReadonlyArray<unknown>): string {
  const last = line[line.length - 1];
  const options = typeof last === 'object' && last !== null ? (last as { label?: string; expression?: string }) : {};
  if (options.label) return options.label;
  if (options.expression) return options.expression;
  return String(line[1] ?? '');
}

/** Text cut to what fits `width` pixels at ~`size`×0.55 pixels a character. */
function fit(text: string, width: number, size: number): string {
  const max = Math.max(3, Math.floor(width / (size * 0.55)));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function widgetSvg(w: DashboardWidget): string {
  const x = w.x * COLUMN + PAD / 2;
  const y = w.y * ROW + PAD / 2;
  const width = w.width * COLUMN - PAD;
  const height = w.height * ROW - PAD;
  const out: string[] = [];
  const text = (tx: number, ty: number, s: string, size: number, extra = '') =>
    out.push(`<text x="${tx}" y="${ty}" font-size="${size}" ${extra}>${escape(fit(s, width - 16, size))}</text>`);
  if (w.type === 'text') {
    const lines = (w.properties.markdown ?? '').split('\n');
    const heading = lines[0].replace(/^#+\s*/, '');
    const big = lines[0].startsWith('# ');
    out.push(`<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="${big ? '#eef3f8' : '#ffffff'}" stroke="none"/>`);
    text(x + 8, y + (big ? 22 : 17), heading.replace(/`/g, ''), big ? 16 : 13, 'font-weight="bold"');
    lines.slice(1).forEach((l, i) => text(x + 8, y + 44 + i * 16, l.replace(/`/g, ''), 12));
    return out.join('');
  }
  out.push(`<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="3" fill="#ffffff" stroke="#c9ced6"/>`);
  if (w.type === 'alarm') {
    text(x + 8, y + 18, `${w.properties.title ?? 'Alarms'} (${w.properties.alarms?.length ?? 0})`, 13, 'font-weight="bold"');
    text(x + 8, y + 40, 'status of every alarm of the stack', 11, 'fill="#555"');
    return out.join('');
  }
  text(x + 8, y + 18, w.properties.title ?? '', 13, 'font-weight="bold"');
  // the plot area: an axis, and one legend line per metric
  const plotTop = y + 28;
  const plotBottom = y + height - 12;
  out.push(`<polyline points="${x + 10},${plotTop} ${x + 10},${plotBottom} ${x + width - 10},${plotBottom}" fill="none" stroke="#c9ced6"/>`);
  const colours = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];
  (w.properties.metrics ?? []).forEach((line, i) => {
    const ly = plotTop + 14 + i * 16;
    if (ly > plotBottom - 4) return;
    out.push(`<rect x="${x + 18}" y="${ly - 9}" width="10" height="10" fill="${colours[i % colours.length]}"/>`);
    out.push(`<text x="${x + 34}" y="${ly}" font-size="11">${escape(fit(lineName(line), width - 50, 11))}</text>`);
  });
  return out.join('');
}

/** The dashboard as an SVG document, `title` above it. */
export function dashboardSvg(widgets: readonly DashboardWidget[], title: string): string {
  const rows = Math.max(0, ...widgets.map((w) => w.y + w.height));
  const width = 24 * COLUMN;
  const height = rows * ROW + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#f4f6f8"/>`,
    `<text x="8" y="20" font-size="12" fill="#555">${escape(title)}</text>`,
    `<g transform="translate(0, 28)">`,
    ...widgets.map(widgetSvg),
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}

/**
 * The widgets of the one dashboard of a synthesized template, each CloudFormation reference in its body (alarm ARNs,
 * queue names, the region) as `<ref>`.
 */
export function templateDashboardWidgets(template: { Resources: Record<string, { Type: string; Properties?: any }> }): DashboardWidget[] {
  const dashboards = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
  if (dashboards.length !== 1) throw new Error(`expected one dashboard in the template, found ${dashboards.length}`);
  const body = dashboards[0].Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : '<ref>')).join('');
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
}
