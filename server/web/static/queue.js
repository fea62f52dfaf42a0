// The queue panel: running jobs with their progress, the step ComfyUI is on and the latest
// preview, then the queued ones. An ended job stays a few seconds at its last state.
import { h } from "./dom.js";
import { previewUrl, title } from "./jobs.js";

const LINGER_MS = 5000;

export class Queue {
  constructor(app, list, totals) {
    Object.assign(this, { app, list, totals });
    this.entries = new Map(); // job id -> {job, item}
  }

  snapshot(message) {
    for (const { item } of this.entries.values()) item.remove();
    this.entries.clear();
    for (const { job } of message.jobs) this.put(job);
    this.count(message);
  }

  count({ queued, processing }) {
    this.totals.textContent = `${processing} running · ${queued} queued`;
  }

  put(job) {
    const known = this.entries.get(job.id);
    const progress = h("progress", { max: 100, value: job.progress, "aria-label": `Progress of ${title(job)}` });
    const item = h(
      "li",
      { class: `entry ${job.status}`, "data-id": job.id, "data-status": job.status },
      // A preview asked for as the job ends is gone (404): no broken image.
      h("img", { class: "preview", alt: "", hidden: true, onerror: (event) => (event.target.hidden = true) }),
      h(
        "div",
        { class: "entry-text" },
        h("a", { href: `/jobs/${job.id}`, onclick: (event) => this.app.follow(event) }, title(job)),
        h("span", { class: "step" }, job.status),
        progress,
      ),
    );
    if (known) known.item.replaceWith(item);
    else if (job.status === "processing") this.list.prepend(item);
    else this.list.append(item);
    this.entries.set(job.id, { job, item });
    return this.entries.get(job.id);
  }

  // One event of the live feed.
  event(message) {
    const entry = this.entries.get(message.job_id);
    switch (message.type) {
      case "job.created":
        this.put(message.job);
        break;
      case "job.status":
        if (entry) {
          entry.job = { ...entry.job, status: message.status, progress: message.progress };
          this.put(entry.job);
        }
        break;
      case "job.progress":
        if (entry) {
          entry.item.querySelector("progress").value = message.percent;
          const step = message.total ? `step ${message.step}/${message.total}` : "";
          entry.item.querySelector(".step").textContent = [step, message.node_class].filter(Boolean).join(" · ") || "running";
        }
        break;
      case "job.preview":
        if (entry) {
          const preview = entry.item.querySelector(".preview");
          preview.src = previewUrl(message);
          preview.hidden = false;
        }
        break;
      case "job.finished":
      case "job.failed":
      case "job.cancelled":
      case "job.deleted":
        if (entry) this.end(entry, message.type.slice(4));
        break;
    }
  }

  end(entry, outcome) {
    const { item, job } = entry;
    item.dataset.status = outcome;
    item.className = `entry ${outcome}`;
    if (outcome === "finished") item.querySelector("progress").value = 100;
    item.querySelector(".step").textContent = outcome;
    setTimeout(() => {
      if (this.entries.get(job.id)?.item === item) {
        this.entries.delete(job.id);
        item.remove();
      }
    }, LINGER_MS);
  }
}
