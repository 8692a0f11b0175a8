// memgpt chat page: plain JS, no build step. Talks to the REST API under /api; authenticated by
// the cookie the server set when the page was opened with ?token=... (or no auth on loopback).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { agent: null, busy: false };

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "content-type": "application/json", ...(options.headers || {}) },
  });
  if (!response.ok) {
    let message = response.statusText;
    try { const body = await response.json(); message = body.detail || (body.error && body.error.message) || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response.json();
}

function setStatus(text) { $("status").textContent = text || ""; }

function addMessage(kind, text) {
  const div = document.createElement("div");
  div.className = "msg " + kind;
  div.textContent = text;
  $("log").appendChild(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}

async function loadAgents(select) {
  const agents = await api("/api/agents");
  const box = $("agent");
  box.innerHTML = "";
  for (const a of agents) {
    const option = document.createElement("option");
    option.value = a.name;
    option.textContent = `${a.name} (${a.model})`;
    box.appendChild(option);
  }
  const wanted = select || state.agent || localStorage.getItem("memgpt.agent");
  if (wanted && agents.some((a) => a.name === wanted)) box.value = wanted;
  await pickAgent(box.value || null);
}

async function pickAgent(name) {
  state.agent = name;
  $("log").innerHTML = "";
  if (!name) { setStatus("No agents yet: create one above."); return; }
  localStorage.setItem("memgpt.agent", name);
  setStatus(`Opening ${name}...`);
  try {
    const history = await api(`/api/agents/${encodeURIComponent(name)}/history?limit=40`);
    for (const m of history) showStored(m);
    await refreshPanels();
    setStatus("");
  } catch (e) { setStatus(e.message); }
}

// A stored message (from /history) shown the way the live events are.
function showStored(m) {
  if (m.role === "user") {
    try { const data = JSON.parse(m.content); if (data.type === "user_message") addMessage("user", data.message); } catch (e) { /* a system event */ }
  } else if (m.role === "assistant") {
    if (m.content) addMessage("thought", m.content);
    for (const call of m.tool_calls || []) {
      if (call.name === "send_message") {
        try { addMessage("assistant", JSON.parse(call.arguments).message); } catch (e) { /* malformed */ }
      } else addMessage("function", `⚡ ${call.name}(${call.arguments})`);
    }
  }
}

async function refreshPanels() {
  if (!state.agent) return;
  const base = `/api/agents/${encodeURIComponent(state.agent)}`;
  const [memory, tokens] = await Promise.all([api(base + "/memory"), api(base + "/tokens")]);
  const box = $("memory");
  box.innerHTML = "";
  for (const [label, block] of Object.entries(memory.blocks)) {
    const div = document.createElement("div");
    div.className = "block";
    div.dataset.label = label;
    const title = document.createElement("div");
    title.className = "label";
    title.textContent = `${label} (${block.value.length}/${block.limit})`;
    const pre = document.createElement("pre");
    pre.textContent = block.value;
    div.append(title, pre);
    box.appendChild(div);
  }
  const table = $("tokens");
  table.innerHTML = "";
  for (const key of ["used", "free", "window", "system", "core_memory", "summary", "messages", "functions"]) {
    const row = table.insertRow();
    row.dataset.key = key;
    row.insertCell().textContent = key;
    const cell = row.insertCell();
    cell.className = "n";
    cell.textContent = tokens[key];
  }
  $("counts").textContent = `recall: ${memory.recall_total} messages · archival: ${memory.archival_total} passages`;
}

// Reads server-sent events from a fetch body: yields {event, data}.
async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message", data = "";
      for (const line of raw.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      yield { event, data: data ? JSON.parse(data) : null };
    }
  }
}

async function send(text) {
  if (!state.agent || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  addMessage("user", text);
  setStatus("thinking...");
  let live = null, thought = null;
  try {
    const response = await fetch(`/api/agents/${encodeURIComponent(state.agent)}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: text, stream: true }),
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || response.statusText);
    }
    for await (const { event, data } of readEvents(response)) {
      if (event === "stream_thought") {
        thought = thought || addMessage("thought", "");
        thought.textContent += data.text;
      } else if (event === "stream_message") {
        live = live || addMessage("assistant", "");
        live.textContent += data.text;
      } else if (event === "inner_thought") {
        if (thought) thought.textContent = data.text; else addMessage("thought", data.text);
        thought = null;
      } else if (event === "assistant_message") {
        if (live) live.textContent = data.text; else addMessage("assistant", data.text);
        live = null;
      } else if (event === "function_call") {
        addMessage("function", `⚡ ${data.text}(${data.data.arguments || ""})`);
      } else if (event === "function_result") {
        addMessage("function", `→ ${data.data.status}: ${data.text}`);
      } else if (event === "system" || event === "summary" || event === "memory_warning") {
        addMessage("system", data.text);
      } else if (event === "error") {
        addMessage("error", data.text || (data.error && data.error.message) || "error");
      }
    }
    setStatus("");
  } catch (e) {
    addMessage("error", e.message);
    setStatus("");
  } finally {
    state.busy = false;
    $("send").disabled = false;
    refreshPanels().catch((e) => setStatus(e.message));
  }
}

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text) return;
  $("input").value = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("send-form").requestSubmit(); }
});
$("agent").addEventListener("change", (e) => pickAgent(e.target.value));
$("refresh").addEventListener("click", () => loadAgents().catch((e) => setStatus(e.message)));
$("show-thoughts").addEventListener("change", (e) => {
  document.body.classList.toggle("thoughts", e.target.checked);
  localStorage.setItem("memgpt.thoughts", e.target.checked ? "1" : "");
});
$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = $("new-agent").value.trim();
  try {
    setStatus(`Creating ${name}...`);
    await api("/api/agents", { method: "POST", body: JSON.stringify({ name }) });
    $("new-agent").value = "";
    await loadAgents(name);
  } catch (err) { setStatus(err.message); }
});

$("show-thoughts").checked = !!localStorage.getItem("memgpt.thoughts");
document.body.classList.toggle("thoughts", $("show-thoughts").checked);
loadAgents().catch((e) => setStatus(e.message));
