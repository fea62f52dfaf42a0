// The history as a grid of tiles, newest first, one page of the cursor API at a time as the end
// of the grid scrolls into view.
import { api } from "./api.js";
import { h } from "./dom.js";
import { ACTIVE, actions, admits, confirmDelete, filtersQuery, images, thumbnail, title } from "./jobs.js";

// Tiles per page; bench/gallery.py requests the same.
export const PAGE_SIZE = 60;
const FIRST_PAGE_MARK = "studio:first-page";
// Fetch the next page this far before the end of the grid comes into view.
const AHEAD = "800px";

export class Gallery {
  constructor(app, grid, end) {
    Object.assign(this, { app, grid, end });
    this.jobs = []; // in grid order
    this.filters = null;
    this.sentinel = h("li", { class: "sentinel", "aria-hidden": "true" });
    this.observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && this.more(), { rootMargin: AHEAD });
  }

  show(filters) {
    if (this.filters && filtersQuery(this.filters) === filtersQuery(filters)) return;
    this.filters = filters;
    this.jobs = [];
    this.cursor = null;
    this.done = false;
    this.generation = (this.generation || 0) + 1; // a page of older filters arriving late is dropped
    this.grid.replaceChildren(this.sentinel);
    this.end.textContent = "";
    this.watch();
  }

  // (Re)observing fires a first callback: the next page loads while the end is still in view.
  watch() {
    this.observer.unobserve(this.sentinel);
    if (!this.done) this.observer.observe(this.sentinel);
  }

  async more() {
    if (this.loading || this.done) return;
    this.loading = true;
    const generation = this.generation;
    const query = new URLSearchParams({ limit: PAGE_SIZE });
    const { status, workflow, favorite, owner, q } = this.filters;
    if (status) query.set("status", status);
    if (workflow) query.set("workflow", workflow);
    if (favorite) query.set("favorite", "true");
    if (owner) query.set("owner", owner);
    if (q) query.set("q", q);
    if (this.cursor) query.set("cursor", this.cursor);
    try {
      const page = await api("GET", `/api/jobs?${query}`);
      if (generation !== this.generation) return;
      for (const job of page.items) if (!this.find(job.id)) this.add(job, false);
      // When the first tiles are on screen, for measurements (bench/gallery.py).
      if (!performance.getEntriesByName(FIRST_PAGE_MARK).length) performance.mark(FIRST_PAGE_MARK);
      this.cursor = page.next_cursor;
      this.done = !page.next_cursor;
      this.end.textContent = this.done ? (this.jobs.length ? "That is everything." : "No jobs here yet.") : "";
    } catch (error) {
      this.done = true;
      this.end.textContent = error.message;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.watch();
      }
    }
  }

  find(id) {
    return this.jobs.find((job) => job.id === id);
  }

  // A job from the live feed or an action: shown, updated or taken out as the filters say.
  upsert(job) {
    if (!this.filters) return;
    const known = this.find(job.id);
    if (!admits(this.filters, job)) {
      if (known) this.remove(job.id);
    } else if (known) {
      this.jobs[this.jobs.indexOf(known)] = job;
      this.tileOf(job.id)?.replaceWith(this.tile(job));
    } else if (!this.jobs.length || job.created_at >= this.jobs[0].created_at) {
      this.add(job, true); // new: at the top; an older one turns up when scrolled to
    }
  }

  add(job, first) {
    if (first) {
      this.jobs.unshift(job);
      this.grid.prepend(this.tile(job));
    } else {
      this.jobs.push(job);
      this.sentinel.before(this.tile(job));
    }
  }

  remove(id) {
    this.jobs = this.jobs.filter((job) => job.id !== id);
    this.tileOf(id)?.remove();
  }

  tileOf(id) {
    return this.grid.querySelector(`li[data-id="${id}"]`);
  }

  // The job `step` places after (1) or before (-1) `id` in the grid.
  neighbour(id, step) {
    const at = this.jobs.findIndex((job) => job.id === id);
    return at < 0 ? null : this.jobs[at + step] || null;
  }

  // The latest preview of a running job, in its tile until the outputs come.
  preview(id, url) {
    const shown = this.tileOf(id)?.querySelector(".thumb > span.placeholder, .thumb > img.preview");
    if (shown) shown.replaceWith(h("img", { class: "preview", src: url, alt: "", onerror: (event) => (event.target.hidden = true) }));
  }

  progress(id, percent) {
    const bar = this.tileOf(id)?.querySelector("progress");
    if (bar) bar.value = percent;
  }

  tile(job) {
    const pictures = images(job);
    const first = pictures[0];
    const label = title(job);
    const link = h(
      "a",
      { class: "thumb", href: `/jobs/${job.id}${filtersQuery(this.filters)}`, onclick: (event) => this.app.follow(event) },
      first
        ? h("img", { src: thumbnail(first), alt: label, loading: "lazy", decoding: "async", width: first.width || 384, height: first.height || 384 })
        : h("span", { class: `placeholder ${job.status}` }, job.status),
      pictures.length > 1 ? h("span", { class: "count", title: `${pictures.length} images` }, `${pictures.length}`) : null,
    );
    const favorite = h(
      "button",
      { type: "button", class: "icon favorite", "aria-pressed": String(job.favorite), "aria-label": "Favorite", title: "Favorite" },
      job.favorite ? "★" : "☆",
    );
    favorite.addEventListener("click", () => this.app.act(actions.favorite(job, !job.favorite), job.id));
    const remove = h("button", { type: "button", class: "icon delete", "aria-label": "Delete", title: "Delete" }, "✕");
    remove.addEventListener("click", () => confirmDelete(job) && this.app.act(actions.remove(job), job.id, true));
    return h(
      "li",
      { class: `tile ${job.status}`, "data-id": job.id, "data-status": job.status },
      link,
      h(
        "div",
        { class: "tile-bar" },
        h("span", { class: "caption", title: label }, job.status === "finished" ? label : `${job.status} · ${label}`),
        favorite,
        remove,
      ),
      ACTIVE.includes(job.status) ? h("progress", { max: 100, value: job.progress, "aria-label": `Progress of ${label}` }) : null,
    );
  }
}
