// The server's HTTP API: one fetch that turns an error answer into an Error with its one line.

import { $ } from "./kit.js";

// A refusal's words: FastAPI's own line, or its field errors as "field: why".
function detailText(detail) {
  if (!Array.isArray(detail)) return detail;
  return detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".") || "request"}: ${d.msg}`).join("; ");
}

export async function api(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(detailText(body.detail) || body.error || `${r.status} ${r.statusText}`);
  return body;
}

// A JSON body posted, the JSON answer back (errors as api's).
export function postJSON(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}
