// Live progress of a scan or a batch, pushed by the server (Server-Sent Events).
// Every value is set with textContent: scraped text never becomes HTML.
(function () {
  "use strict";
  var box = document.querySelector("[data-events]");
  if (!box || !window.EventSource) { return; }
  var STATE_TH = { pending: "รอคิว", running: "กำลังตรวจ", done: "เสร็จ", failed: "ไม่สำเร็จ" };

  function set(root, name, text) {
    var els = root.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < els.length; i++) { els[i].textContent = text; }
  }
  function clock(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return (m ? m + " นาที " : "") + r + " วินาที";
  }
  function phase(d) {
    if (d.state === "queued") { return "รอคิว: กำลังตรวจเว็บไซต์อื่นอยู่"; }
    if (d.pages >= d.budget) { return "อ่านครบ " + d.budget + " หน้าแล้ว กำลังตรวจลิงก์หลักฐานและเอกสาร"; }
    if (d.idle >= 5) { return "กำลังตรวจลิงก์หลักฐานและเอกสาร หรือรอหน้าเว็บที่ตอบช้า"; }
    return "กำลังอ่านเว็บไซต์";
  }
  function scan(d) {
    set(box, "phase", phase(d));
    set(box, "pages", String(d.pages));
    set(box, "budget", String(d.budget));
    set(box, "elapsed", clock(d.elapsed));
    set(box, "section", d.section || "-");
    set(box, "count", String(d.items.length));
    var bar = box.querySelector('[data-field="bar"]');
    if (bar) { bar.max = d.budget; bar.value = d.pages; }
    var list = box.querySelector('[data-field="items"]');
    if (list) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      d.items.forEach(function (id) {
        var b = document.createElement("span");
        b.className = "badge seen";
        b.textContent = id;
        list.appendChild(b);
        list.appendChild(document.createTextNode(" "));
      });
    }
    box.setAttribute("data-state", d.state);
  }
  function batch(d) {
    set(box, "done", String(d.done));
    set(box, "failed", String(d.failed));
    var bar = box.querySelector('[data-field="bar"]');
    if (bar) { bar.max = d.total; bar.value = d.done + d.failed; }
    d.sites.forEach(function (s) {
      var row = box.querySelector('tr[data-site="' + s.id + '"]');
      if (!row || row.getAttribute("data-site-status") === s.status && s.status !== "running") { return; }
      row.setAttribute("data-site-status", s.status);
      set(row, "status", STATE_TH[s.status] || s.status);
      var detail = row.querySelector('[data-field="detail"]');
      if (!detail) { return; }
      while (detail.firstChild) { detail.removeChild(detail.firstChild); }
      if (s.status === "done" && s.run_id) {
        var a = document.createElement("a");
        a.href = "/runs/" + Number(s.run_id);
        a.textContent = "ดูผลรายข้อ";
        detail.appendChild(a);
      } else if (s.status === "failed") {
        detail.textContent = s.error;
      } else if (s.pages !== undefined) {
        detail.textContent = s.pages + " / " + s.budget + " หน้า" + (s.section ? " · " + s.section : "");
      }
    });
  }
  var source = new EventSource(box.getAttribute("data-events"));
  source.onmessage = function (e) {
    var d = JSON.parse(e.data);
    if (d.sites) { batch(d); } else { scan(d); }
  };
  source.onerror = function () {
    // the server restarted or forgot this scan: show what it says now
    if (source.readyState === EventSource.CLOSED) { setTimeout(function () { location.reload(); }, 3000); }
  };
  source.addEventListener("done", function (e) {
    source.close();
    var next = JSON.parse(e.data).next;
    if (typeof next === "string" && next.charAt(0) === "/" && next.charAt(1) !== "/") {
      if (next === location.pathname) { location.reload(); } else { location.assign(next); }
    }
  });
})();
