// Spreadsheet-like entry for table.pb-grid (the month grid and the record sheet).
// A typed cell is saved on its own; a pasted block is saved as one batch. The server saves a
// batch whole or not at all and names each bad cell, so nothing is ever half-saved. The rules
// stay on the server: each cell carries what its quarter still allows (data-used, data-left)
// and each total the line it is compared with (data-line), sent again after every save.
(function () {
  "use strict";
  const table = document.querySelector("table.pb-grid");
  if (!table) return;

  const editable = table.dataset.editable === "1";
  const year = Number(table.dataset.year);
  const saveUrl = table.dataset.saveUrl;
  const csrf = document.querySelector("meta[name=csrf-token]").content;
  const grid = [];
  const byKey = new Map();
  const pending = new Map(); // cells changed and not yet saved, by key
  const refused = new Map(); // key -> the server's reason, until the cell saves or is discarded
  const monthTotals = new Map(); // org -> {month: total}
  const queue = [];
  let saving = false;
  let retryDelay = 0; // seconds; grows while the server is busy, back to 0 after a save
  let retryTimer = null;

  const fb = {
    label: document.getElementById("fb-label"),
    cap: document.getElementById("fb-cap"),
    note: document.getElementById("fb-note"),
    status: document.getElementById("fb-status"),
    errors: document.getElementById("grid-errors"),
    retry: document.getElementById("fb-retry"),
    discard: document.getElementById("fb-discard"),
  };
  let current = null;

  const keyOf = (org, item, month) => `${org}:${item}:${month}`;
  const key = (input) => keyOf(input.pb.org, input.pb.item, input.pb.month);

  // Where each cell sits: the row gives the organization and month (or the table does), the
  // column header gives the item and its cap. Kept on the element, not in attributes.
  const columns = Array.from(table.querySelectorAll("thead th[data-item]")).map((th) => th.dataset);
  table.querySelectorAll("tbody tr").forEach((row) => {
    const cells = row.querySelectorAll("input.cell");
    if (!cells.length) return;
    const r = grid.length;
    grid.push([]);
    const org = row.dataset.org || table.dataset.org;
    const month = Number(row.dataset.month || table.dataset.month);
    const label = row.dataset.label || table.dataset.label;
    cells.forEach((input, c) => {
      const column = columns[c];
      input.pb = {
        r, c, org, month, item: column.item, cap: column.cap, deduction: column.deduction === "1", group: column.group,
        label: `${label} · ${column.label} · ${month}月`,
      };
      grid[r][c] = input;
      byKey.set(key(input), input);
      input.dataset.saved = input.value;
      input.dataset.note = input.dataset.note || "";
      input.dataset.savedNote = input.dataset.note;
    });
  });
  for (const row of [table, ...table.querySelectorAll("[data-months]")].filter((el) => el.dataset.months)) {
    const org = row.dataset.org || table.dataset.org;
    const months = JSON.parse(row.dataset.months);
    monthTotals.set(String(org), Object.assign(monthTotals.get(String(org)) || {}, months));
  }
  byKey.forEach(markRoom);

  function setStatus(text, kind) {
    fb.status.textContent = text;
    fb.status.className = "small text-nowrap " + (kind === "error" ? "text-danger fw-semibold" : kind === "ok" ? "text-success" : "text-body-secondary");
  }

  function dirty(input) {
    return input.value.trim() !== input.dataset.saved || input.dataset.note !== input.dataset.savedNote;
  }

  function mark(input, state, message) {
    input.classList.toggle("is-pending", state === "pending");
    input.classList.toggle("is-invalid", state === "error");
    input.classList.toggle("is-conflict", state === "conflict");
    input.closest("td").classList.toggle("n", Boolean(input.dataset.note));
    if (message) input.title = message;
    else input.removeAttribute("title");
  }

  // Queue the changed ones of `cells` as one batch; returns nothing.
  function commit(cells) {
    const batch = cells.filter((input) => {
      if (!editable || input.readOnly) return false;
      if (dirty(input)) {
        pending.set(key(input), input);
        refused.delete(key(input));
        mark(input, "pending");
        return true;
      }
      pending.delete(key(input));
      refused.delete(key(input));
      if (!input.classList.contains("is-conflict")) mark(input, "");
      return false;
    });
    showErrors();
    if (batch.length) {
      queue.push(batch);
      flush();
    }
  }

  // What the quarter still allows, where people look: an empty cell shows it as its
  // placeholder when part of it is used, and is shaded when nothing is left.
  function markRoom(input) {
    const td = input.closest("td");
    const left = input.dataset.left;
    const full = editable && !input.readOnly && input.dataset.saved === "" && Number(left) <= 0;
    td.classList.toggle("full", full);
    if (full) td.title = "本季度该项在其他月份已记满，本月不能再记";
    else td.removeAttribute("title");
    const partly = editable && !input.readOnly && !full && Number(input.dataset.used) !== 0;
    input.placeholder = partly ? `余${left}` : "";
  }

  function updateRooms(rooms) {
    for (const room of rooms || []) {
      const input = find(room);
      if (!input) continue;
      input.dataset.used = room.used;
      input.dataset.left = room.left;
      markRoom(input);
    }
  }

  function show(input) {
    current = input;
    fb.label.textContent = input.pb.label;
    const { cap, deduction } = input.pb;
    const used = input.dataset.used.replace("-", "");
    const left = input.dataset.left;
    fb.cap.textContent = deduction
      ? `季度最多扣 ${cap} 分 · 其他月份已扣 ${used} · 本月最多扣 ${left}`
      : `季度上限 ${cap} 分 · 其他月份已记 ${used} · 本月最多 ${left}`;
    if (input.dataset.records) {
      fb.cap.textContent += ` · 工作记录 ${input.dataset.records} 条（已采纳 ${input.dataset.awarded}）`;
    }
    fb.note.value = input.dataset.note || "";
    fb.note.disabled = !editable || input.readOnly;
  }

  function move(r, c) {
    const target = grid[r] && grid[r][c];
    if (target) {
      target.focus();
      return true;
    }
    return false;
  }

  function find(cell) {
    return byKey.get(keyOf(cell.org, cell.item, cell.month));
  }

  // Every cell that is still not saved, whichever batch it was in, with why.
  function showErrors() {
    const unsaved = Array.from(refused.entries());
    const waiting = pending.size;
    fb.retry.classList.toggle("d-none", !unsaved.length);
    fb.discard.classList.toggle("d-none", !(unsaved.length || waiting));
    if (!unsaved.length) {
      fb.errors.classList.add("d-none");
      fb.errors.replaceChildren();
      return;
    }
    const list = document.createElement("ul");
    list.className = "mb-0 ps-3";
    for (const [, text] of unsaved) {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    }
    const title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = `以下 ${unsaved.length} 个单元格没有保存；改正有误的单元格后按 Enter，或点“重试保存”：`;
    fb.errors.replaceChildren(title, list);
    fb.errors.classList.remove("d-none");
  }

  function updateTotals(totals) {
    for (const [org, months] of Object.entries(totals)) {
      monthTotals.set(org, Object.assign(monthTotals.get(org) || {}, months));
    }
    for (const el of table.querySelectorAll("[data-sum-org]")) {
      const months = monthTotals.get(el.dataset.sumOrg);
      if (!months || !totals[el.dataset.sumOrg]) continue;
      const sum = el.dataset.sumMonths.split(",").reduce((acc, m) => acc + (Number(months[m]) || 0), 0);
      el.textContent = sum.toFixed(1);
      // The line comes from the server: the warning line, or its pro-rated share while the
      // quarter runs.
      if (el.dataset.line) el.classList.toggle("behind", sum < Number(el.dataset.line));
    }
    for (const el of table.querySelectorAll("[data-group-sum]")) {
      const cells = Array.from(el.closest("tr").querySelectorAll("input.cell")).filter(
        (i) => i.pb.group === el.dataset.groupSum,
      );
      const filled = cells.filter((i) => i.dataset.saved !== "");
      const sum = filled.reduce((acc, i) => acc + Number(i.dataset.saved), 0);
      el.textContent = filled.length ? sum.toFixed(1) : "";
    }
  }

  // The server is busy (restarting, failing over) or unreachable: keep the batch and send it
  // again, as it was, after the wait the server asks for, waiting longer each time.
  function retryLater(batch, seconds, message) {
    retryDelay = Math.min(Math.max(seconds, retryDelay * 2, 2), 30);
    for (const input of batch) mark(input, "pending", message);
    queue.unshift(batch);
    setStatus(`${message}，${retryDelay} 秒后自动重试（${pending.size} 个单元格待保存）`, "error");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      flush();
    }, retryDelay * 1000);
  }

  async function flush() {
    if (saving || retryTimer || !queue.length) return;
    const batch = queue.shift().filter((i) => pending.has(key(i)));
    if (!batch.length) return flush();
    saving = true;
    setStatus(`正在保存 ${batch.length} 个单元格…`);
    const sent = new Map(batch.map((i) => [key(i), { value: i.value.trim(), note: i.dataset.note }]));
    const body = {
      year,
      cells: batch.map((i) => ({
        org: Number(i.pb.org),
        item: Number(i.pb.item),
        month: i.pb.month,
        value: sent.get(key(i)).value,
        version: Number(i.dataset.v),
        note: sent.get(key(i)).note,
      })),
    };
    let response = null;
    let data = null;
    try {
      response = await fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body),
      });
      if (response.status !== 503) data = await response.json();
    } catch (error) {
      data = null;
    }
    saving = false;
    if (!response || response.status === 503 || data === null) {
      const busy = response && response.status === 503;
      const wait = busy ? Number(response.headers.get("Retry-After")) || 5 : 5;
      retryLater(batch, wait, busy ? "系统繁忙" : "网络中断或登录已失效");
      return;
    }
    retryDelay = 0;
    if (data.ok) {
      const returned = new Set();
      for (const cell of data.cells) {
        const input = find(cell);
        if (!input) continue;
        returned.add(key(input));
        input.dataset.v = cell.version;
        acknowledge(input, sent.get(key(input)), cell.value, cell.note);
      }
      for (const input of batch) {
        // A cleared cell that never had a row comes back as nothing: it is saved as empty.
        if (!returned.has(key(input))) acknowledge(input, sent.get(key(input)), "", "");
      }
      updateTotals(data.totals);
      updateRooms(data.rooms);
    } else if (data.errors) {
      let invalid = 0;
      for (const error of data.errors) {
        const input = find(error);
        if (!input) continue;
        const mine = sent.get(key(input));
        if (error.current && mine && error.current.value === mine.value && error.current.note === mine.note) {
          // Our own earlier attempt was saved but its answer was lost (the server restarted
          // in between): the cell holds what we sent. Take its version and go on.
          input.dataset.v = error.current.version;
          acknowledge(input, mine, error.current.value, error.current.note);
        } else if (error.current) {
          // Someone else changed this cell: show their value, drop ours, never overwrite.
          input.value = error.current.value;
          input.dataset.saved = error.current.value;
          input.dataset.v = error.current.version;
          input.dataset.note = error.current.note;
          input.dataset.savedNote = error.current.note;
          pending.delete(key(input));
          mark(input, "conflict", error.message);
          refused.set(key(input), error.message);
        } else {
          invalid += 1;
          mark(input, "error", error.message);
          refused.set(key(input), error.message);
        }
      }
      // Only conflicts (or our own lost answers) refused the batch: send the rest again.
      // Otherwise the batch's good cells were not saved either: list them as unsaved too.
      const rest = batch.filter((i) => pending.has(key(i)) && !refused.has(key(i)));
      if (invalid === 0 && rest.length) queue.unshift(rest);
      else for (const input of rest) refused.set(key(input), `${input.pb.label}：未保存（与同批有误的单元格一起）`);
    } else {
      // The request as a whole was refused (a paste too large, say): none of it was saved.
      const message = data.message || "保存失败";
      for (const input of batch) {
        mark(input, "error", message);
        refused.set(key(input), `${input.pb.label}：${message}`);
      }
    }
    showErrors();
    const unsaved = refused.size;
    if (unsaved) setStatus(`${unsaved} 个单元格未保存`, "error");
    else setStatus(pending.size ? `还有 ${pending.size} 个单元格待保存` : "已保存", "ok");
    if (current) show(current);
    flush();
  }

  function acknowledge(input, sentValue, value, note) {
    input.dataset.saved = value;
    input.dataset.savedNote = note;
    refused.delete(key(input));
    markRoom(input);
    const unchanged = sentValue && input.value.trim() === sentValue.value && input.dataset.note === sentValue.note;
    if (unchanged) {
      input.value = value;
      input.dataset.note = note;
      pending.delete(key(input));
      mark(input, "");
    }
  }

  // Send every refused or waiting cell again, each on its own as a typed cell is, so that a
  // cell still wrong keeps only itself from being saved.
  fb.retry.addEventListener("click", () => {
    const cells = Array.from(new Set([...refused.keys(), ...pending.keys()])).map((k) => byKey.get(k)).filter(Boolean);
    refused.clear();
    clearTimeout(retryTimer);
    retryTimer = null;
    queue.length = 0;
    for (const input of cells) {
      input.classList.remove("is-conflict");
      // A cell put back to its saved value is no longer pending; commit() sorts that out.
      commit([input]);
    }
    showErrors();
  });

  // Put every unsaved cell back to what is saved.
  fb.discard.addEventListener("click", () => {
    for (const k of new Set([...refused.keys(), ...pending.keys()])) {
      const input = byKey.get(k);
      if (!input) continue;
      input.value = input.dataset.saved;
      input.dataset.note = input.dataset.savedNote;
      mark(input, "");
    }
    refused.clear();
    pending.clear();
    queue.length = 0;
    clearTimeout(retryTimer);
    retryTimer = null;
    showErrors();
    setStatus("已放弃未保存的修改", "ok");
    if (current) show(current);
  });

  function caretAt(input, end) {
    if (input.selectionStart !== input.selectionEnd) return input.selectionStart === 0 && input.selectionEnd === input.value.length;
    return end ? input.selectionEnd === input.value.length : input.selectionStart === 0;
  }

  // Entering a cell selects its content, so typing replaces it as in a spreadsheet. A click
  // would put the caret back on mouseup; the first mouseup after focusing is swallowed.
  let justFocused = null;
  table.addEventListener("focusin", (event) => {
    const input = event.target.closest("input.cell");
    if (!input) return;
    show(input);
    input.select();
    justFocused = input;
  });
  table.addEventListener("mouseup", (event) => {
    if (event.target === justFocused) event.preventDefault();
    justFocused = null;
  });

  table.addEventListener("change", (event) => {
    const input = event.target.closest("input.cell");
    if (input) commit([input]);
  });

  table.addEventListener("keydown", (event) => {
    const input = event.target.closest("input.cell");
    if (!input) return;
    const { r, c } = input.pb;
    let target = null;
    if (event.key === "Enter") target = [r + (event.shiftKey ? -1 : 1), c];
    else if (event.key === "ArrowDown") target = [r + 1, c];
    else if (event.key === "ArrowUp") target = [r - 1, c];
    else if (event.key === "ArrowLeft" && caretAt(input, false)) target = [r, c - 1];
    else if (event.key === "ArrowRight" && caretAt(input, true)) target = [r, c + 1];
    else if (event.key === "Escape") {
      input.value = input.dataset.saved;
      input.dataset.note = input.dataset.savedNote;
      pending.delete(key(input));
      refused.delete(key(input));
      mark(input, "");
      showErrors();
      show(input);
      return;
    }
    if (!target) return;
    event.preventDefault();
    commit([input]);
    move(target[0], target[1]);
  });

  table.addEventListener("paste", (event) => {
    const input = event.target.closest("input.cell");
    if (!input || !editable || input.readOnly) return;
    const text = (event.clipboardData || window.clipboardData).getData("text/plain");
    const lines = text.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    if (lines.length === 1 && !lines[0].includes("\t")) return; // one value: the browser pastes it
    event.preventDefault();
    const { r, c } = input.pb;
    let skipped = 0;
    const pasted = [];
    lines.forEach((line, i) => {
      line.split("\t").forEach((value, j) => {
        const target = grid[r + i] && grid[r + i][c + j];
        if (!target || target.readOnly) {
          skipped += 1;
          return;
        }
        target.value = value.trim();
        pasted.push(target);
      });
    });
    commit(pasted);
    if (skipped) setStatus(`粘贴区域超出可录入范围，${skipped} 个值已忽略`, "error");
  });

  fb.note.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && current) {
      event.preventDefault();
      current.dataset.note = fb.note.value.trim();
      commit([current]);
      current.focus();
    }
  });
  fb.note.addEventListener("change", () => {
    if (!current) return;
    current.dataset.note = fb.note.value.trim();
    commit([current]);
  });

  window.addEventListener("beforeunload", (event) => {
    if (pending.size || refused.size) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
