/**
 * The script inside report.html that draws the charts with uPlot (inlined
 * beside it). Plain ES2017, no modules, no network. It reads the chart specs
 * that html.ts computed (JSON in #tokbench-data) and draws each into its
 * container; everything numeric (CDFs from the HDR histograms, rates, joins
 * of telemetry series) is done in Node, so this stays small.
 *
 * For tests and for the curious: `window.__tokbench.charts` lists every chart
 * drawn with its number of non-null points; errors thrown while drawing are
 * caught, shown in the chart's box, and collected in `window.__tokbench.errors`
 * (and re-reported to the console, which the e2e test watches).
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var el = document.getElementById('tokbench-data');
  var data = JSON.parse(el.textContent || '{}');
  var state = { charts: [], errors: [], ready: false };
  window.__tokbench = state;
  var plots = [];
  var dpr = function () { return window.devicePixelRatio || 1; };

  // at most 3 significant digits, no trailing zeros: 1, 2.5, 10k, 1.25M
  function trim(x) { return String(Number(x.toPrecision(3))); }
  function fmtNum(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1e9) return trim(v / 1e9) + 'G';
    if (a >= 1e6) return trim(v / 1e6) + 'M';
    if (a >= 1e4) return trim(v / 1e3) + 'k';
    if (a >= 1000) return String(Math.round(v));
    return trim(v);
  }
  function logAxisValues(u, splits) {
    return splits.map(function (v) {
      var e = Math.log10(v);
      return Math.abs(e - Math.round(e)) < 1e-9 ? fmtNum(v) : '';
    });
  }
  function fmtLegend(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    return fmtNum(v);
  }
  function axisValues(u, splits) { return splits.map(fmtNum); }

  function alignedData(spec) {
    var s = spec.series;
    if (spec.sharedX) return [spec.sharedX].concat(s.map(function (x) { return x.y; }));
    if (s.length === 1) return [s[0].x, s[0].y];
    var tables = s.map(function (x) { return [x.x, x.y]; });
    return uPlot.join(tables);
  }

  function rangeFromZero(u, min, max) {
    if (max === null || !isFinite(max) || max <= 0) return [0, 1];
    return [0, max * 1.08];
  }

  function drawOverlays(spec) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox, r = dpr();
      ctx.save();
      // uPlot leaves its axis-label alignment on the context
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      (spec.bands || []).forEach(function (band) {
        var x0 = u.valToPos(band.from, 'x', true), x1 = u.valToPos(band.to, 'x', true);
        x0 = Math.max(b.left, x0); x1 = Math.min(b.left + b.width, x1);
        if (x1 <= x0) return;
        ctx.fillStyle = band.color || 'rgba(22,163,74,0.07)';
        ctx.fillRect(x0, b.top, x1 - x0, b.height);
        ctx.fillStyle = '#4b5563';
        ctx.font = (11 * r) + 'px system-ui, sans-serif';
        ctx.fillText(band.label || '', x0 + 4 * r, b.top + b.height - 6 * r);
      });
      ctx.lineWidth = 1 * r;
      ctx.font = (11 * r) + 'px system-ui, sans-serif';
      var placed = [];
      function free(x0, y0, w, h) {
        for (var i = 0; i < placed.length; i++) {
          var p = placed[i];
          if (x0 < p[0] + p[2] && x0 + w > p[0] && y0 < p[1] + p[3] && y0 + h > p[1]) return false;
        }
        return true;
      }
      // a label with a white backing at (x0, y0) (top left), moved down, then up, until it overlaps no other label
      function label(text, color, x0, y0) {
        var w = ctx.measureText(text).width + 6 * r, h = 15 * r;
        x0 = Math.max(b.left + 2 * r, Math.min(x0, b.left + b.width - w - 2 * r));
        var clamp = function (y) { return Math.max(b.top, Math.min(y, b.top + b.height - h)); };
        var y = clamp(y0), step = h + 1 * r;
        var dir = y0 > b.top + b.height / 2 ? -1 : 1;
        for (var k = 1; k <= 16 && !free(x0, y, w, h); k++) y = clamp(y0 + dir * step * (k <= 8 ? k : -(k - 8)));
        placed.push([x0, y, w, h]);
        ctx.fillStyle = 'rgba(255,255,255,0.9)';
        ctx.fillRect(x0, y, w, h);
        ctx.fillStyle = color;
        ctx.fillText(text, x0 + 3 * r, y + 11 * r);
      }
      ctx.setLineDash([5 * r, 4 * r]);
      (spec.hlines || []).forEach(function (h) {
        var y = Math.round(u.valToPos(h.y, h.scale || 'y', true));
        if (y < b.top || y > b.top + b.height) return;
        ctx.strokeStyle = h.color;
        ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
        var w = ctx.measureText(h.label).width + 6 * r;
        label(h.label, h.color, b.left + b.width - w - 4 * r, y - 17 * r);
      });
      // percentile marks: a dashed line up to the curve, a dot on it, the label to its upper left
      (spec.marks || []).slice().sort(function (a, c) { return (c.y || 0) - (a.y || 0); }).forEach(function (m) {
        var x = Math.round(u.valToPos(m.x, 'x', true));
        if (!(x >= b.left - 1 && x <= b.left + b.width + 1)) return;
        var yTop = m.y === undefined ? b.top : Math.round(u.valToPos(m.y, 'y', true));
        ctx.strokeStyle = m.color;
        ctx.setLineDash([4 * r, 3 * r]);
        ctx.beginPath(); ctx.moveTo(x, b.top + b.height); ctx.lineTo(x, yTop); ctx.stroke();
        ctx.setLineDash([]);
        if (m.y !== undefined) {
          ctx.fillStyle = m.color;
          ctx.beginPath(); ctx.arc(x, yTop, 3.5 * r, 0, 2 * Math.PI); ctx.fill();
        }
        // the bottom band right of the line is below a rising curve, so clear of it; stacked upward when crowded
        label(m.label, m.color, x + 3 * r, b.top + b.height - 19 * r);
      });
      ctx.setLineDash([]);
      (spec.flagged || []).forEach(function (f) {
        var x = u.valToPos(f.x, 'x', true), y = u.valToPos(f.y, f.scale || 'y', true);
        ctx.strokeStyle = '#dc2626'; ctx.lineWidth = 2 * r;
        ctx.beginPath(); ctx.arc(x, y, 6 * r, 0, 2 * Math.PI); ctx.stroke();
      });
      ctx.restore();
    };
  }

  function build(spec, box) {
    var series = [{ label: spec.xLabel, value: function (u, v) { return spec.xTicks ? (spec.xTicks[v] || '') : fmtLegend(v); } }];
    var kind = spec.kind;
    spec.series.forEach(function (s) {
      var o = {
        label: s.label,
        stroke: s.color,
        width: s.width || 1.75,
        scale: s.scale || 'y',
        show: s.show !== false,
        spanGaps: kind !== 'scatter',
        value: function (u, v) { return v === null || v === undefined ? '–' : fmtLegend(v) + (s.unit ? ' ' + s.unit : ''); },
      };
      if (s.dash) o.dash = s.dash;
      if (s.fill) o.fill = s.fill;
      if (kind === 'scatter') {
        o.paths = function () { return null; };
        o.points = { show: true, size: s.size || 4, width: 0, stroke: s.color, fill: s.color };
      } else if (kind === 'bars') {
        o.paths = uPlot.paths.bars({ size: [spec.series.length > 1 ? 0.8 / spec.series.length : 0.6, 120], align: s.align || 0 });
        o.fill = s.color;
        o.points = { show: false };
      } else {
        o.points = { show: s.points === true, size: 5, fill: s.color };
      }
      series.push(o);
    });
    var xScale = { time: false };
    if (spec.xLog) { xScale.distr = 3; xScale.log = 10; }
    if (kind === 'bars') {
      var n = spec.xTicks.length;
      xScale.range = function () { return [-0.5, n - 0.5]; };
    }
    var scales = { x: xScale, y: {} };
    if (spec.yRange) scales.y.range = function () { return spec.yRange; };
    else if (!spec.yLog) scales.y.range = rangeFromZero;
    if (spec.yLog) { scales.y.distr = 3; scales.y.log = 10; }
    var grid = { stroke: '#e5e7eb', width: 1 };
    var ticks = { stroke: '#d1d5db', width: 1, size: 4 };
    var axisFont = '12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
    var labelFont = '600 12px system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
    var xAxis = { label: spec.xLabel, stroke: '#374151', grid: grid, ticks: ticks, font: axisFont, labelFont: labelFont, labelSize: 22, size: 34, values: spec.xLog ? logAxisValues : axisValues };
    if (kind === 'bars') {
      xAxis.splits = function () { return spec.xTicks.map(function (_, i) { return i; }); };
      xAxis.values = function (u, splits) { return splits.map(function (i) { return spec.xTicks[i] || ''; }); };
      xAxis.grid = { show: false };
    } else if (spec.xTickLabels) {
      xAxis.values = function (u, splits) { return splits.map(function (v) { return spec.xTickLabels[String(v)] || fmtNum(v); }); };
    }
    var axes = [xAxis, { label: spec.yLabel, stroke: '#374151', grid: grid, ticks: ticks, font: axisFont, labelFont: labelFont, labelSize: 22, size: 56, values: spec.yLog ? logAxisValues : axisValues }];
    if (spec.y2Label) {
      scales.y2 = spec.y2Range ? { range: function () { return spec.y2Range; } } : { range: rangeFromZero };
      axes.push({ scale: 'y2', side: 1, label: spec.y2Label, stroke: '#374151', grid: { show: false }, ticks: ticks, font: axisFont, labelFont: labelFont, labelSize: 22, size: 56, values: axisValues });
    }
    var opts = {
      width: Math.max(280, box.clientWidth),
      height: spec.height || 260,
      scales: scales,
      axes: axes,
      series: series,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      hooks: { draw: [drawOverlays(spec)] },
    };
    var plot = new uPlot(opts, alignedData(spec), box);
    plots.push({ plot: plot, box: box, spec: spec });
    var count = 0;
    spec.series.forEach(function (s) { s.y.forEach(function (v) { if (v !== null && v !== undefined) count++; }); });
    box.setAttribute('data-points', String(count));
    state.charts.push({ id: spec.id, title: spec.title, points: count, series: spec.series.length });
  }

  (data.charts || []).forEach(function (spec) {
    var box = document.getElementById('chart-' + spec.id);
    if (!box) return;
    try {
      build(spec, box);
    } catch (err) {
      state.errors.push(spec.id + ': ' + (err && err.message ? err.message : String(err)));
      box.textContent = 'could not draw this chart: ' + (err && err.message ? err.message : String(err));
      box.className += ' chart-error';
      console.error('tokbench: chart ' + spec.id + ': ' + (err && err.stack ? err.stack : err));
    }
  });

  var timer = null;
  window.addEventListener('resize', function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(280, p.box.clientWidth), height: p.spec.height || 260 }); });
    }, 120);
  });
  state.ready = true;
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;
