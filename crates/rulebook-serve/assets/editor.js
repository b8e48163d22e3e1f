// The rulebook editor: line numbers, the checker's diagnostics as you type
// (debounced), each clickable to its line; format, run tests, save, diff.
// Plain script; every action is a call to the server's API.
"use strict";
(function () {
  var src = document.getElementById("source");
  if (!src) { return; }
  var gutter = document.getElementById("gutter");
  var list = document.getElementById("diags");
  var status = document.getElementById("status");
  var output = document.getElementById("output");
  var name = src.getAttribute("data-name");
  var version = src.getAttribute("data-version");
  var saved = src.value;
  var timer = null;
  var seq = 0;
  var marks = {};

  function api(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      body: body,
      credentials: "same-origin"
    });
  }

  function lineCount() { return src.value.split("\n").length; }

  function drawGutter() {
    var n = lineCount(), html = [];
    for (var i = 1; i <= n; i++) {
      var cls = marks[i] ? ' class="' + marks[i] + '"' : "";
      html.push("<span" + cls + ">" + i + "</span>");
    }
    gutter.innerHTML = html.join("\n");
    gutter.scrollTop = src.scrollTop;
  }

  function goTo(line, column) {
    var lines = src.value.split("\n"), at = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { at += lines[i].length + 1; }
    var end = at + (lines[line - 1] || "").length;
    src.focus();
    src.setSelectionRange(at + Math.max(0, (column || 1) - 1), end);
    var lh = parseFloat(getComputedStyle(src).lineHeight) || 20;
    src.scrollTop = Math.max(0, (line - 4) * lh);
    gutter.scrollTop = src.scrollTop;
  }

  function text(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }

  function show(result) {
    marks = {};
    list.innerHTML = "";
    result.diagnostics.forEach(function (d) {
      marks[d.line] = d.severity === "error" ? "err" : (marks[d.line] || "wrn");
      var li = document.createElement("li");
      li.setAttribute("data-line", d.line);
      li.innerHTML = '<span class="sev-' + d.severity + '">' + (d.severity === "error" ? "错误" : "警告") +
        "</span> 第 " + d.line + " 行第 " + d.column + " 列 <code>" + text(d.code) + "</code><br>" + text(d.message) +
        (d.label ? '<br><span class="muted">' + text(d.label) + "</span>" : "") +
        (d.help ? '<br><span class="muted">提示：' + text(d.help) + "</span>" : "");
      li.addEventListener("click", function () { goTo(d.line, d.column); });
      list.appendChild(li);
    });
    status.textContent = result.errors === 0 && result.warnings === 0 ? "检查通过，没有问题" :
      result.errors + " 个错误，" + result.warnings + " 个警告";
    status.className = result.errors > 0 ? "bad" : "ok";
    drawGutter();
  }

  function check() {
    var mine = ++seq;
    status.textContent = "检查中…";
    status.className = "";
    api("/api/check?rulebook=" + encodeURIComponent(name), src.value)
      .then(function (r) { return r.json(); })
      .then(function (result) { if (mine === seq) { show(result); } })
      .catch(function () { status.textContent = "无法连接服务器"; status.className = "bad"; });
  }

  function changed() {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  src.addEventListener("input", changed);
  src.addEventListener("scroll", function () { gutter.scrollTop = src.scrollTop; });
  src.addEventListener("keydown", function (e) {
    if (e.key === "Tab" && !e.shiftKey) {
      e.preventDefault();
      var s = src.selectionStart;
      src.setRangeText("  ", s, src.selectionEnd, "end");
      changed();
    } else if ((e.ctrlKey || e.metaKey) && e.key === "s") {
      e.preventDefault();
      save();
    }
  });

  function say(s) { output.textContent = s; }

  document.getElementById("format").addEventListener("click", function () {
    api("/api/format", src.value).then(function (r) { return r.text(); }).then(function (t) {
      if (t !== src.value) { src.value = t; changed(); say("已格式化（只改缩进，不改含义）。"); }
      else { say("已是标准格式。"); }
    });
  });

  document.getElementById("test").addEventListener("click", function () {
    say("测试运行中…");
    api("/api/test?rulebook=" + encodeURIComponent(name), src.value)
      .then(function (r) { return r.json(); })
      .then(function (r) {
        if (r.error) { say("无法运行测试：" + r.error); return; }
        var lines = r.tests.map(function (t) {
          var head = (t.passed ? "通过  " : "失败  ") + t.name + "（" + t.checks + " 项检查，第 " + t.line + " 行）";
          var more = [];
          if (t.error) { more.push("    " + t.error); }
          t.mismatches.forEach(function (m) { more.push("    " + m); });
          return [head].concat(more).join("\n");
        });
        lines.push("", r.passed + " passed, " + r.failed + " failed");
        say(lines.join("\n"));
      });
  });

  function save() {
    api("/api/save?rulebook=" + encodeURIComponent(name) + "&version=" + encodeURIComponent(version), src.value)
      .then(function (r) { return r.json(); })
      .then(function (r) {
        if (r.saved) {
          version = r.version; saved = src.value;
          say("已保存 " + name + ".rules（上一版保存在 " + r.backup + "）" +
            (r.errors > 0 ? "。注意：规则集有 " + r.errors + " 个错误，修正前无法评分。" : "。"));
        } else { say("未保存：" + r.error); }
      });
  }
  document.getElementById("save").addEventListener("click", save);

  document.getElementById("diff").addEventListener("click", function () {
    var other = document.getElementById("against").value;
    say("对比中…");
    api("/api/diff?old=" + encodeURIComponent(other), src.value)
      .then(function (r) { return r.json(); })
      .then(function (r) {
        if (r.error) { say("无法对比：" + r.error); return; }
        say(r.same ? "与 " + other + " 相比没有变化。" : "与 " + other + " 相比的变化（" + r.changes + " 处）：\n\n" + r.text);
      });
  });

  window.addEventListener("beforeunload", function (e) {
    if (src.value !== saved) { e.preventDefault(); e.returnValue = ""; }
  });

  drawGutter();
  check();
})();
