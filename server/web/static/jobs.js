// What every view needs to know about a job: its filters, pictures, error and actions.
import { api } from "./api.js";
import { h } from "./dom.js";

export const ACTIVE = ["queued", "processing"];
export const STATUSES = ["queued", "processing", "finished", "failed", "cancelled"];
// Lines of a node's traceback worth showing: its end says what went wrong (as the TUI).
const TRACEBACK_LINES = 8;

// The gallery's filters as the URL query holds them (so a view can be bookmarked).
export function filtersFrom(search) {
  const query = new URLSearchParams(search);
  return {
    status: query.get("status") || "",
    workflow: query.get("workflow") || "",
    favorite: query.get("favorite") === "true",
    owner: query.get("owner") || "",
    q: query.get("q") || "",
  };
}

export function filtersQuery(filters) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value === true ? "true" : value);
  const text = query.toString();
  return text ? `?${text}` : "";
}

// Whether the history with these filters lists `job` (server/jobs/schemas.py JobFilters.admits).
export function admits(filters, job) {
  return (
    (!filters.status || job.status === filters.status) &&
    (!filters.workflow || job.workflow === filters.workflow) &&
    (!filters.favorite || job.favorite) &&
    (!filters.owner || job.owner === filters.owner) &&
    (!filters.q || job.prompt.toLowerCase().includes(filters.q.toLowerCase()))
  );
}

export function images(job) {
  return job.outputs.filter((output) => output.content_type.startsWith("image/"));
}

// The server's small WebP when it has one: scrolling never downloads full images.
export function thumbnail(output) {
  return output.thumbnail_url || output.url;
}

// A job.preview's image under a URL of its own (the file at `url` changes): fetched again.
export function previewUrl(message) {
  return `${message.url}${message.url.includes("?") ? "&" : "?"}seq=${message.seq}`;
}

export function title(job) {
  return job.prompt || job.workflow;
}

// The error as the TUI shows it: the sentence, then one line per input ComfyUI refused, or the
// exception and the end of its traceback.
export function errorBlock(job) {
  if (!job.error) return null;
  const failure = job.error_details || {};
  let sentence = job.error;
  const lines = [];
  const rejected = Object.values(failure.node_errors || {}).some((node) => node.errors?.length);
  if (rejected && sentence.includes(": ")) {
    // "ComfyUI rejected the workflow: one; two": the lead-in, then the problems one a line.
    const at = sentence.indexOf(": ");
    lines.push(...sentence.slice(at + 2).split("; ").map((problem) => h("li", {}, problem)));
    sentence = sentence.slice(0, at + 1);
  } else if (failure.type === "execution_error") {
    lines.push(h("li", {}, `${failure.exception_type}: ${failure.exception_message.trim()}`));
    const traceback = failure.traceback.flatMap((chunk) => chunk.trimEnd().split("\n"));
    if (traceback.length) {
      lines.push(h("li", { class: "dim" }, "where (the end of the traceback):"));
      lines.push(...traceback.slice(-TRACEBACK_LINES).map((line) => h("li", { class: "dim code" }, line)));
    }
  }
  return h("div", { class: "error", role: "alert" }, h("p", { class: "error-sentence" }, sentence), lines.length ? h("ul", {}, lines) : null);
}

export const actions = {
  favorite: (job, on) => api(on ? "PUT" : "DELETE", `/api/jobs/${job.id}/favorite`),
  remove: (job) => api("DELETE", `/api/jobs/${job.id}`),
  cancel: (job) => api("POST", `/api/jobs/${job.id}/cancel`),
};

export function confirmDelete(job) {
  return confirm(`Delete this job and its files?\n\n${title(job).slice(0, 120)}`);
}
