// One job in a dialog: its images (click: fit or actual size), every parameter (the ones left to
// the workflow dimmed), the error as the TUI shows it, timings and the actions. Escape closes it;
// ArrowLeft / ArrowRight open the newer / older job of the gallery.
import { ApiError, api } from "./api.js";
import { duration, h, when } from "./dom.js";
import { ACTIVE, actions, confirmDelete, errorBlock, images, title } from "./jobs.js";

// Parameters stored in columns of their own: shown even when the job left them to the workflow.
const RESOLVED = ["model", "aspect_ratio", "batch_size", "seed", "steps", "cfg", "sampler", "scheduler", "denoise"];
const PROMPTS = ["prompt", "negative_prompt"];

export class JobView {
  constructor(app, dialog) {
    Object.assign(this, { app, dialog });
    this.job = null;
    this.id = null;
    dialog.addEventListener("close", () => {
      if (this.id) this.app.closed();
      this.id = null;
    });
    dialog.addEventListener("keydown", (event) => {
      if (!this.id || event.target.matches("input, textarea, select")) return;
      const step = { ArrowLeft: -1, ArrowRight: 1 }[event.key];
      const next = step && this.app.gallery.neighbour(this.id, step);
      if (next) {
        event.preventDefault();
        this.app.open(next.id);
      }
    });
  }

  async show(id) {
    if (this.id === id && this.dialog.open) return;
    this.id = id;
    this.job = null;
    this.dialog.replaceChildren(h("p", { class: "loading" }, "Loading…"));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const job = await api("GET", `/api/jobs/${id}`);
      if (this.id === id) this.render(job);
    } catch (error) {
      if (this.id !== id) return;
      const missing = error instanceof ApiError && (error.status === 404 || error.status === 400);
      this.dialog.replaceChildren(
        this.header(missing ? "No such job" : "Could not load the job"),
        h("p", { class: "not-found" }, missing ? `There is no job ${id} here: it was deleted, or it is not yours.` : error.message),
      );
    }
  }

  hide() {
    this.id = null;
    if (this.dialog.open) this.dialog.close();
  }

  // A newer state of the job shown (live feed, an action).
  update(job) {
    if (this.id === job.id && this.job) this.render(job);
  }

  progress(id, percent) {
    const bar = this.id === id && this.dialog.querySelector("progress");
    if (bar) bar.value = percent;
  }

  header(text) {
    return h(
      "header",
      { class: "dialog-head" },
      h("h2", { id: "job-title" }, text),
      h("button", { type: "button", class: "icon close", "aria-label": "Close", onclick: () => this.dialog.close() }, "✕"),
    );
  }

  render(job) {
    this.job = job;
    const focused = document.activeElement?.dataset?.action;
    const button = (action, text, onclick, attrs = {}) => h("button", { type: "button", "data-action": action, onclick, ...attrs }, text);
    const pictures = images(job);
    const tools = h(
      "div",
      { class: "tools" },
      button("remix", "Remix", () => this.app.navigate(`/new?remix=${job.id}`)),
      button("favorite", job.favorite ? "★ Favorite" : "☆ Favorite", () => this.app.act(actions.favorite(job, !job.favorite), job.id), {
        "aria-pressed": String(job.favorite),
      }),
      ACTIVE.includes(job.status) ? button("cancel", "Cancel", () => this.app.act(actions.cancel(job), job.id), { disabled: job.cancel_requested }) : null,
      button("copy", "Copy link", (event) => this.copy(event.target)),
      pictures[0] ? h("a", { class: "button", href: pictures[0].url, download: pictures[0].filename, "data-action": "download" }, "Download") : null,
      button("delete", "Delete", () => confirmDelete(job) && this.app.act(actions.remove(job), job.id, true), { class: "danger" }),
    );
    this.dialog.replaceChildren(
      this.header(title(job).slice(0, 140)),
      h(
        "div",
        { class: pictures.length || job.texts.length ? "job" : "job bare" }, // nothing to show: the facts take the width
        h(
          "div",
          { class: pictures.length > 1 ? "pictures many" : "pictures" },
          pictures.map((output) =>
            h(
              "figure",
              {},
              h("img", {
                src: output.url,
                alt: `${title(job)} (${output.filename})`,
                tabindex: "0",
                title: "Click: actual size / fit",
                onclick: (event) => event.target.classList.toggle("actual"),
                onkeydown: (event) => event.key === "Enter" && event.target.classList.toggle("actual"),
              }),
              h("figcaption", {}, h("a", { href: output.url, download: output.filename }, output.filename), output.width ? ` ${output.width}×${output.height}` : ""),
            ),
          ),
          job.texts.map((shown) => h("pre", { class: "text-output" }, shown.text)),
        ),
        h(
          "div",
          { class: "facts" },
          h("p", { class: `status ${job.status}`, "aria-live": "polite" }, job.status, job.cancel_requested && ACTIVE.includes(job.status) ? " (cancelling)" : ""),
          ACTIVE.includes(job.status) ? h("progress", { max: 100, value: job.progress, "aria-label": "Progress" }) : null,
          errorBlock(job),
          tools,
          PROMPTS.filter((name) => job[name]).map((name) => h("div", { class: "prompt" }, h("h3", {}, name.replace("_", " ")), h("p", {}, job[name]))),
          this.parameters(job),
          this.timings(job),
        ),
      ),
    );
    if (focused) this.dialog.querySelector(`[data-action="${focused}"]`)?.focus();
  }

  parameters(job) {
    const schema = this.app.workflows.get(job.workflow)?.params || [];
    const rows = [["workflow", job.workflow, false]];
    if (job.style) rows.push(["style", job.style, false]);
    const named = new Set(schema.map((param) => param.name));
    for (const param of schema) {
      if (PROMPTS.includes(param.name)) continue;
      if (param.name in job.params) {
        const value = job.params[param.name];
        rows.push([param.label || param.name, param.type === "seed" && value === -1 ? `${job.seed} (random)` : value, false]);
      } else {
        const stored = RESOLVED.includes(param.name) ? job[param.name] : null;
        const value = stored ?? param.default;
        if (value !== null && value !== undefined) rows.push([param.label || param.name, value, true]);
      }
    }
    for (const [name, value] of Object.entries(job.params)) if (!named.has(name) && !PROMPTS.includes(name)) rows.push([name, value, false]);
    if (job.width && job.height) rows.push(["size", `${job.width}×${job.height}`, false]);
    return h(
      "table",
      { class: "params" },
      h("caption", {}, "Parameters"),
      h(
        "tbody",
        {},
        rows.map(([name, value, dimmed]) =>
          h(
            "tr",
            { class: dimmed ? "default" : "" },
            h("th", { scope: "row" }, name),
            h("td", {}, typeof value === "string" ? value : JSON.stringify(value), dimmed ? " (default)" : ""),
          ),
        ),
      ),
    );
  }

  timings(job) {
    const seconds = (from, to) => (new Date(to) - new Date(from)) / 1000;
    const rows = [["created", when(job.created_at)]];
    if (job.started_at) rows.push(["started", `${when(job.started_at)} (waited ${duration(seconds(job.created_at, job.started_at))})`]);
    if (job.finished_at) rows.push(["ended", `${when(job.finished_at)} (took ${duration(seconds(job.started_at || job.created_at, job.finished_at))})`]);
    if (job.lane) rows.push(["ran on", job.lane]);
    if (job.owner) rows.push(["owner", job.owner]);
    if (job.remix_of) rows.push(["remix of", job.remix_of]);
    if (job.reused_from) rows.push(["reused", `the outputs of ${job.reused_from}`]);
    return h(
      "table",
      { class: "timings" },
      h("caption", {}, "Timings"),
      h("tbody", {}, rows.map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)))),
    );
  }

  async copy(button) {
    const link = location.href;
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = "Link copied";
    } catch {
      // No clipboard outside secure contexts (plain http on a LAN name): show it to copy by hand.
      button.replaceWith(h("input", { class: "link", value: link, readonly: true, "aria-label": "Link to this job", onfocus: (e) => e.target.select() }));
    }
  }
}
