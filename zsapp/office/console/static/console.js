/* Draws the page's charts with the bundled ECharts from the JSON in #chart-data. */
(function () {
  "use strict";
  var RED = "#c81e1e", PALETTE = ["#c81e1e", "#e3a008", "#3f83f8", "#0e9f6e", "#9061f9"];
  function el(id) { return document.getElementById(id); }
  function make(id, option) {
    var node = el(id);
    if (!node || !window.echarts) return null;
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    option.color = option.color || PALETTE;
    option.animation = false;
    option.textStyle = { fontFamily: "Microsoft YaHei, WenQuanYi Micro Hei, ZsConsole, sans-serif" };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
    return chart;
  }
  function bars(id, title, names, series, horizontal) {
    var cat = { type: "category", data: names, axisLabel: { interval: 0, fontSize: 11 } };
    var val = { type: "value" };
    return make(id, {
      title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { top: 28, right: 8 },
      grid: { left: horizontal ? 110 : 50, right: 20, top: 56, bottom: 30 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
      series: series
    });
  }
  function run() {
    var holder = el("chart-data");
    if (!holder) return;
    var d = JSON.parse(holder.textContent || "{}");
    window.zsCharts = [];
    if (el("chart-quarters")) {
      window.zsCharts.push(make("chart-quarters", {
        title: { text: "省外到位资金按季度（亿元）", left: 8, top: 4, textStyle: { fontSize: 14 } },
        tooltip: { trigger: "axis" },
        legend: { top: 28, right: 8 },
        grid: { left: 50, right: 50, top: 60, bottom: 30 },
        xAxis: { type: "category", data: d.quarters },
        yAxis: [{ type: "value" }, { type: "value", splitLine: { show: false } }],
        series: [
          { name: "本季度", type: "bar", data: d.funds, itemStyle: { color: RED } },
          { name: "其中工业", type: "bar", data: d.gongye, itemStyle: { color: "#e3a008" } },
          { name: "累计", type: "line", yAxisIndex: 1, data: d.funds_cum, itemStyle: { color: "#3f83f8" } }
        ]
      }));
      window.zsCharts.push(bars("chart-prefectures", "各州市累计到位资金（亿元）", d.prefectures,
        [{ name: "到位资金", type: "bar", data: d.pref_funds, itemStyle: { color: RED } }], true));
    }
    if (el("chart-funds")) {
      window.zsCharts.push(bars("chart-funds", "计入目标的到位资金（亿元）", d.months,
        [{ name: "到位资金", type: "bar", data: d.funds, itemStyle: { color: RED } }]));
    }
    if (el("chart-stalled")) {
      window.zsCharts.push(bars("chart-stalled", "停滞项目数（按州市）", d.names,
        [{ name: "停滞项目", type: "bar", data: d.counts, itemStyle: { color: RED } }], true));
    }
    if (el("chart-investors")) {
      window.zsCharts.push(bars("chart-investors", "客商来源地区", d.regions, [
        { name: "世界500强", type: "bar", data: d.fortune500 },
        { name: "央企", type: "bar", data: d.central },
        { name: "专精特新", type: "bar", data: d.specialized },
        { name: "失信", type: "bar", data: d.dishonest }
      ]));
    }
    document.body.setAttribute("data-charts", "ready");
  }
  function start() {
    // Charts draw text on canvas: wait for the web font so labels are not drawn as boxes.
    if (document.fonts && document.fonts.load) {
      document.fonts.load('14px "ZsConsole"', "云南").then(run, run);
    } else {
      run();
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
