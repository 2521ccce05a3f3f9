/* The report's tables and charts: Tabulator and Chart.js on the data in #report-data. Every text shown was
   written by the engine (dti.formatting); here cells only pick the text and sort on the typed value beside it. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var COLLATOR = new Intl.Collator("vi");
  var NUM = new Intl.NumberFormat("vi-VN", {maximumFractionDigits: 2});

  function fold(s) {  // search ignores case and Vietnamese tone marks: "so tai chinh" finds "Sở Tài chính"
    return String(s || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (ch) { return "&#" + ch.charCodeAt(0) + ";"; });
  }
  function show(field, sub) {
    return function (cell) {
      var d = cell.getRow().getData(), html = esc(d[field]);
      if (sub && d[sub]) { html += "<br><small>" + esc(d[sub]) + "</small>"; }
      return html;
    };
  }
  function badge(prefix, code, label, sub) {
    return function (cell) {
      var d = cell.getRow().getData();
      if (!d[label]) { return ""; }
      var html = '<span class="badge ' + prefix + esc(d[code]) + '">' + esc(d[label]) + "</span>";
      if (sub && d[sub]) { html += "<br><small>" + esc(d[sub]) + "</small>"; }
      return html;
    };
  }
  function claimLink(d) {  // the claim's page in the review app, when its address was set
    if (!D.link) { return null; }
    return D.link.base + "/chi-tieu/" + [D.link.period, d.u, d.i].map(encodeURIComponent).join("/");
  }
  function text(a, b) { return COLLATOR.compare(a || "", b || ""); }
  function number(a, b, _ra, _rb, _col, dir) {  // typed values: no parsing per comparison; blanks always last
    if (a == null) { return b == null ? 0 : (dir === "asc" ? 1 : -1); }
    if (b == null) { return dir === "asc" ? -1 : 1; }
    return a - b;
  }
  function num(title, field, shown, extra) {
    return {title: title, field: field, sorter: number, hozAlign: "right", formatter: show(shown, extra),
            headerSortStartingDir: "desc", minWidth: 76};
  }

  D.claims.forEach(function (c) {
    var u = D.units[c.u] || {}, i = D.indicators[c.k] || {};
    c.un = u.n || ""; c.uo = u.o; c.i = i.c; c.in = i.n || ""; c.io = i.o; c.r = D.reasons[c.ri] || "";
    c.q = fold([c.u, c.un, c.i, c.in, c.r, c.ol, c.sl, c.src].join(" "));
  });
  D.ranking.forEach(function (r) { var u = D.units[r.u] || {}; r.un = u.n || ""; r.uo = u.o; r.ut = u.t || ""; });

  var LANGS = {vi: {pagination: {page_size: "Số dòng", page_title: "Trang", first: "«", first_title: "Trang đầu",
    last: "»", last_title: "Trang cuối", prev: "‹", prev_title: "Trang trước", next: "›", next_title: "Trang sau",
    all: "Tất cả", counter: {showing: "Dòng", of: "trên", rows: "dòng", pages: "trang"}},
    data: {loading: "Đang tải", error: "Lỗi"}}};
  var BASE = {layout: "fitColumns", locale: "vi", langs: LANGS, headerSortTristate: false, pagination: true,
              paginationCounter: "rows", placeholder: "Không có dòng nào / no rows"};

  var ranking = new Tabulator("#ranking", Object.assign({}, BASE, {
    data: D.ranking, paginationSize: 50, paginationSizeSelector: [25, 50, 100, 300],
    columns: [
      {title: "Loại", field: "ut", sorter: text, formatter: show("ut")},
      {title: "Hạng thẩm định", field: "vr", sorter: number, hozAlign: "right", headerSortStartingDir: "desc",
       minWidth: 76, formatter: function (cell) {
         var d = cell.getRow().getData();
         return esc(d.vr) + (d.vrp ? ' <span class="tam" title="Hạng dựa trên điểm tạm tính / rests on provisional ' +
           'points">tạm</span>' : "");
       }},
      num("Hạng tự chấm", "sr", "sr"),
      {title: "Thay đổi hạng", field: "rc", sorter: number, hozAlign: "right", headerSortStartingDir: "desc",
       formatter: function (cell) {
         var d = cell.getRow().getData(), cls = d.rc > 0 ? "up" : (d.rc < 0 ? "down" : "");
         return '<span class="' + cls + '">' + esc(d.rct) + "</span>";
       }},
      {title: "Đơn vị", field: "uo", sorter: number, formatter: show("un", "u"), headerSortStartingDir: "asc"},
      num("Điểm tự chấm", "st", "stt"), num("Điểm thẩm định", "vt", "vtt"), num("Chênh điểm", "dp", "dpt"),
      num("Tối đa", "mx", "mxt"), num("DTI thẩm định", "dti", "dtit")].concat(D.grades ? [
      {title: "Xếp loại tự chấm", field: "sg", sorter: text, formatter: show("sg")},
      {title: "Xếp loại thẩm định", field: "vg", sorter: text, formatter: show("vg")}] : []).concat([
      num("DTI xếp hạng", "rdti", "rdtit"),
      num("Đo từ hệ thống", "mp", "mpt"), num("Minh chứng đã kiểm tra", "ep", "ept"), num("Tạm tính", "pp", "ppt"),
      num("Độ phủ", "cov", "covt"),
      {title: "Chỉ số làm thay đổi", field: "mv", headerSort: false, formatter: show("mv"), widthGrow: 3, minWidth: 200}
    ])
  }));

  var claims = new Tabulator("#claims", Object.assign({}, BASE, {
    data: D.claims, paginationSize: 50, paginationSizeSelector: [25, 50, 100, 200],
    columns: [
      num("Điểm bị ảnh hưởng", "pas", "past"),
      {title: "Đơn vị", field: "uo", sorter: number, formatter: show("un", "u"), headerSortStartingDir: "asc",
       minWidth: 170, widthGrow: 2},
      {title: "Chỉ số", field: "io", sorter: number, headerSortStartingDir: "asc", minWidth: 66,
       formatter: function (cell) {
         var d = cell.getRow().getData(), url = claimLink(d);
         return url ? '<a href="' + esc(url) + '" target="_blank" rel="noopener" title="Mở trang chỉ tiêu / open ' +
           'the claim page">' + esc(d.i) + " ↗</a>" : esc(d.i);
       }},
      {title: "Tên chỉ số", field: "in", sorter: text, formatter: show("in"), minWidth: 180, widthGrow: 3},
      {title: "Nguồn", field: "src", sorter: text, formatter: function (cell) {
        var d = cell.getRow().getData();
        return '<span title="' + esc(d.srcl) + '">' + esc(d.src) + "</span>";
      }, minWidth: 64},
      num("Tự đánh giá", "sv", "svt"), num("Số liệu hệ thống", "ov", "ovt", "ort"), num("Giá trị thẩm định", "vv", "vvt"),
      {title: "Kết quả", field: "ol", sorter: text, formatter: badge("o-", "o", "ol", "dl"), minWidth: 130},
      {title: "Mức độ", field: "sr", sorter: number, formatter: badge("s-", "s", "sl"), headerSortStartingDir: "asc",
       minWidth: 104},
      num("Điểm tự chấm", "sp", "spt"), num("Điểm thẩm định", "vp", "vpt"), num("Chênh điểm", "dp", "dpt"),
      {title: "Lý do", field: "r", sorter: text, formatter: show("r"), minWidth: 180, widthGrow: 3}
    ]
  }));

  var changes = null;
  if (document.getElementById("changes")) {
    D.changes.forEach(function (r) { var u = D.units[r.u] || {}; r.un = u.n || ""; r.uo = u.o; });
    changes = new Tabulator("#changes", Object.assign({}, BASE, {
      data: D.changes, paginationSize: 25, paginationSizeSelector: [25, 50, 100, 300],
      columns: [
        {title: "Đơn vị", field: "uo", sorter: number, formatter: show("un", "u"), headerSortStartingDir: "asc",
         minWidth: 170, widthGrow: 2},
        num("DTI kỳ trước", "pdti", "pdtit"), num("DTI kỳ này", "dti", "dtit"),
        num("Hạng kỳ trước", "pr", "prt"), num("Hạng kỳ này", "r", "rt"),
        {title: "Thay đổi hạng", field: "rc", sorter: number, hozAlign: "right", headerSortStartingDir: "desc",
         formatter: function (cell) {
           var d = cell.getRow().getData(), cls = d.rc > 0 ? "up" : (d.rc < 0 ? "down" : "");
           return '<span class="' + cls + '">' + esc(d.rct) + "</span>";
         }},
        num("Điểm kỳ trước", "pt", "ptt"), num("Điểm kỳ này", "t", "tt"), num("Chênh điểm", "d", "dt"),
        {title: "Chỉ số đóng góp nhiều nhất", field: "top", headerSort: false, formatter: show("top"), widthGrow: 3,
         minWidth: 220}
      ]
    }));
  }

  var filters = {u: "f-unit", i: "f-indicator", o: "f-outcome", s: "f-severity"};
  var search = document.getElementById("q");
  function apply() {
    var want = {}, term = fold(search.value.trim());
    Object.keys(filters).forEach(function (k) { want[k] = document.getElementById(filters[k]).value; });
    claims.setFilter(function (d) {
      return (!want.u || d.u === want.u) && (!want.i || d.i === want.i) && (!want.o || d.o === want.o) &&
        (!want.s || d.s === want.s) && (!term || d.q.indexOf(term) >= 0);
    });
  }
  claims.on("dataFiltered", function (_f, rows) {
    document.getElementById("shown").textContent = NUM.format(rows.length) + " / " + NUM.format(D.claims.length) +
      " dòng / rows";
  });
  claims.on("tableBuilt", function () {
    Object.keys(filters).forEach(function (k) {
      document.getElementById(filters[k]).addEventListener("change", apply);
    });
    search.addEventListener("input", apply);
    apply();
    document.body.setAttribute("data-ready", "1");  // tests and screenshots wait for this
  });

  if (typeof Chart === "undefined") { return; }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  var ticks = {callback: function (v) { return NUM.format(v); }};
  var P = D.charts.points;
  new Chart(document.getElementById("chart-points"), {
    type: "bar",
    data: {labels: P.labels, datasets: [
      {label: "Bị trừ / lost", data: P.lost, backgroundColor: "#c62828"},
      {label: "Được cộng / gained", data: P.gained, backgroundColor: "#2e7d32"}]},
    options: {indexAxis: "y", maintainAspectRatio: false, scales: {x: {stacked: true, ticks: ticks},
      y: {stacked: true, ticks: {autoSkip: false, font: {size: 11}}}},
      plugins: {tooltip: {callbacks: {footer: function (items) {
        return "Ròng / net: " + NUM.format(P.net[items[0].dataIndex]);
      }}}}}
  });
  var I = D.charts.indicators, COLORS = {critical: "#b71c1c", high: "#e65100", medium: "#f9a825", low: "#90a4ae"};
  new Chart(document.getElementById("chart-indicators"), {
    type: "bar",
    data: {labels: I.labels, datasets: I.series.map(function (s) {
      return {label: s.label, data: s.data, backgroundColor: COLORS[s.key]};
    })},
    options: {maintainAspectRatio: false, scales: {x: {stacked: true}, y: {stacked: true, ticks: {precision: 0}}}}
  });
  var pick = document.getElementById("f-change-unit");
  if (pick) {
    var byUnit = {};
    D.changes.forEach(function (r) { byUnit[r.u] = r; });
    var waterfall = new Chart(document.getElementById("chart-change"), {
      type: "bar",
      data: {labels: [], datasets: [{label: "Điểm thẩm định / verified points", data: [], backgroundColor: []}]},
      options: {maintainAspectRatio: false, plugins: {legend: {display: false}, tooltip: {callbacks: {
        label: function (item) {
          var v = item.raw, last = item.dataIndex === item.dataset.data.length - 1;
          if (item.dataIndex === 0 || last) { return NUM.format(v[1]); }
          var d = v[1] - v[0];
          return (d > 0 ? "+" : "−") + NUM.format(Math.abs(d));
        }}}},
        scales: {y: {ticks: ticks}, x: {ticks: {autoSkip: false, maxRotation: 60, font: {size: 11}}}}}
    });
    var drawChange = function () {
      var r = byUnit[pick.value], bars = r ? r.wf : [], n = bars.length;
      waterfall.data.labels = bars.map(function (b) { return b[0]; });
      waterfall.data.datasets[0].data = bars.map(function (b) { return [b[1], b[2]]; });
      waterfall.data.datasets[0].backgroundColor = bars.map(function (b, k) {
        return (k === 0 || k === n - 1) ? "#0b4f8a" : (b[2] >= b[1] ? "#2e7d32" : "#c62828");
      });
      waterfall.update();
    };
    pick.addEventListener("change", drawChange);
    drawChange();
  }
  var R = D.charts.ranks, PALETTE = ["#0b4f8a", "#e65100", "#2e7d32", "#6a1b9a"];
  new Chart(document.getElementById("chart-ranks"), {
    type: "scatter",
    data: {datasets: R.series.map(function (s, n) {
      return {label: s.label, data: s.points, backgroundColor: PALETTE[n % PALETTE.length], pointRadius: 4};
    }).concat([{label: "Giữ nguyên hạng / same rank", type: "line", data: [{x: 1, y: 1}, {x: R.max, y: R.max}],
               borderColor: "#b0bec5", borderDash: [4, 4], pointRadius: 0}])},
    options: {maintainAspectRatio: false, scales: {
      x: {title: {display: true, text: "Hạng tự chấm / self rank"}, min: 0, max: R.max + 1, ticks: {precision: 0}},
      y: {title: {display: true, text: "Hạng thẩm định / verified rank"}, min: 0, max: R.max + 1, reverse: true,
          ticks: {precision: 0}}},
      plugins: {tooltip: {callbacks: {label: function (item) {
        var p = item.raw; return (p.name || "") + ": " + p.x + " → " + p.y;
      }}}}}
  });
}());
