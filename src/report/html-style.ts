/** The report's stylesheet: light, system fonts, tabular figures, prints cleanly. */
export const REPORT_CSS = `
:root {
  --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f8fafc; --card: #ffffff;
  --ok: #15803d; --ok-bg: #dcfce7; --bad: #b91c1c; --bad-bg: #fee2e2; --warn: #a16207; --warn-bg: #fef9c3;
  --accent: #2563eb;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 14px; padding-bottom: 14px; border-bottom: 1px solid var(--line); margin-bottom: 18px; }
header.top h1 { font-size: 20px; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
header.top .sub { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; letter-spacing: 0.02em; vertical-align: 1px; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.info { color: #1e40af; background: #dbeafe; }
section { margin: 26px 0 0; }
section > h2 { font-size: 15px; font-weight: 650; margin: 0 0 10px; color: #1f2937; text-transform: none; }
section > p.note, .note { color: var(--muted); font-size: 12.5px; margin: 4px 0 10px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; }
.kpi .value .unit { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 3px; }
.kpi .detail { color: var(--muted); font-size: 12px; margin-top: 2px; }
.grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 8px; min-width: 0; }
.panel h3 { font-size: 13.5px; font-weight: 650; margin: 0 0 2px; }
.panel .caption { color: var(--muted); font-size: 12px; margin: 0 0 6px; }
.chart { width: 100%; min-height: 120px; }
.chart-error { color: var(--bad); padding: 20px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; background: var(--card); }
.tablewrap { border: 1px solid var(--line); border-radius: 8px; overflow: auto; background: var(--card); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: 0; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
td.pass { color: var(--ok); font-weight: 600; white-space: nowrap; } td.fail { color: var(--bad); font-weight: 600; white-space: nowrap; }
.origin { color: var(--muted); font-size: 12px; }
.origin.flag, .origin.file, .origin.env { color: #1d4ed8; }
ul.recs { margin: 8px 0 0; padding-left: 20px; } ul.recs li { margin: 3px 0; }
.delta.better { color: var(--ok); } .delta.worse { color: var(--bad); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: 0; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
/* uPlot: legend tidy */
.u-legend { font-size: 12px; text-align: left; margin-top: 2px; }
.u-legend .u-marker { width: 10px; height: 10px; border-radius: 2px; }
.u-legend th { background: transparent; color: var(--fg); font-weight: 500; }
.u-legend td, .u-legend th { border: 0; padding: 1px 6px 1px 0; }
.u-legend tr { margin-right: 12px; }
@media print { body { background: #fff; } .panel, .kpi, .tablewrap { break-inside: avoid; } }
`;
