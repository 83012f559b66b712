// The server's HTTP API: one fetch that turns an error answer into an Error with its one line.

import { $ } from "./kit.js";

export async function api(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.detail || body.error || `${r.status} ${r.statusText}`);
  return body;
}
