// The public HTTP API, and nothing else: the same routes any client uses.
const KEY = "sre-api-key";
export const BASE = document.querySelector('meta[name="api-base"]')?.content || "";

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (key) => sessionStorage.setItem(KEY, key);
export const forgetKey = () => sessionStorage.removeItem(KEY);

// A 400 names what is wrong field by field (`errors: [{field, message}]`, problem details):
// the form shows the first at its field (`triggers[0].hour`, `actions[1].url`, `environment.runner_id`).
export class ApiError extends Error {
  constructor(status, code, message, errors = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = Array.isArray(errors) ? errors : [];
    this.field = this.errors[0]?.field || null;
  }
}

let onUnauthorized = () => {};
export const whenUnauthorized = (fn) => { onUnauthorized = fn; };

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== "") params.append(name, String(one));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Call the API with the signed-in key; resolves to the JSON answer (null for 204). */
export async function api(method, path, { body, query, key } = {}) {
  const headers = { Accept: "application/json" };
  const token = key || getKey();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${BASE}${path}${queryString(query)}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "NetworkError", `Cannot reach the API (${err.message}).`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { Message: text.slice(0, 500) }; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.Code || `HTTP ${response.status}`,
      data?.Message || `The API answered ${response.status} ${response.statusText}.`, data?.errors);
    if (response.status === 401 && !key) onUnauthorized(error);
    throw error;
  }
  return data;
}
