// The page: who we are (signing in when Studio wants a key), the routes (/, /jobs/<id>, /new,
// the gallery's filters in the query), and the live feed handed to each view.
import { api, onUnauthorized, signIn, signOut, whoAmI } from "./api.js";
import { $, h } from "./dom.js";
import { Gallery } from "./gallery.js";
import { JobForm } from "./form.js";
import { JobView } from "./jobview.js";
import { STATUSES, filtersFrom, filtersQuery, previewUrl } from "./jobs.js";
import { Live } from "./live.js";
import { Queue } from "./queue.js";

const SEARCH_PAUSE_MS = 300;
const TERMINAL = { "job.finished": "finished", "job.failed": "failed", "job.cancelled": "cancelled" };

class App {
  constructor() {
    this.workflows = new Map();
    this.gallery = new Gallery(this, $("#gallery"), $("#gallery-end"));
    this.queue = new Queue(this, $("#queue-list"), $("#totals"));
    this.view = new JobView(this, $("#job-view"));
    this.form = new JobForm(this, $("#job-form"));
    this.live = new Live({
      onMessage: (message) => this.message(message),
      onState: (state, text) => {
        const shown = $("#connection");
        shown.dataset.state = state;
        shown.textContent = text;
      },
      onRevoked: () => this.start(),
    });
    window.addEventListener("popstate", () => this.route());
    onUnauthorized(() => this.start());
    $("#new-job").addEventListener("click", () => this.navigate(`/new${location.search}`));
    $("#sign-out").addEventListener("click", async () => {
      await signOut().catch(() => {});
      this.start();
    });
    $("#signin-form").addEventListener("submit", (event) => this.signIn(event));
    this.filtersForm();
  }

  // Several requests refused at once (a revoked key) restart the page once.
  start() {
    this.starting ||= this.begin().finally(() => (this.starting = null));
    return this.starting;
  }

  async begin() {
    this.live.stop();
    let me;
    try {
      me = await whoAmI();
    } catch (error) {
      $("#connection").textContent = error.message;
      return;
    }
    this.me = me;
    document.body.dataset.signedIn = String(Boolean(me));
    $("#signin").hidden = Boolean(me);
    $("#content").hidden = !me;
    $("#sign-out").hidden = !me?.signedIn;
    $("#who").textContent = me?.keys_required ? `${me.name} (${me.role})` : "";
    if (!me) {
      this.view.hide();
      this.form.hide();
      $("#signin-key").focus();
      return;
    }
    // The first page of the gallery loads while the workflows (for the form and the job view) do.
    const workflows = api("GET", "/api/workflows");
    this.gallery.filters = null; // load afresh for whoever is signed in now
    this.gallery.show(filtersFrom(location.search));
    this.live.start();
    try {
      this.workflows = new Map((await workflows).map((workflow) => [workflow.name, workflow]));
    } catch (error) {
      this.notice(error.message); // the gallery still shows; the form and parameters wait for a reload
    }
    this.fillFilters();
    this.route();
  }

  async signIn(event) {
    event.preventDefault();
    const input = $("#signin-key");
    const error = $("#signin-error");
    error.textContent = "";
    try {
      await signIn(input.value.trim());
      input.value = "";
      await this.start();
    } catch (refusal) {
      error.textContent = refusal.message;
      input.focus();
    }
  }

  // --- routes ----------------------------------------------------------------------------------

  navigate(url, replace = false) {
    history[replace ? "replaceState" : "pushState"](null, "", url);
    this.route();
  }

  // A click on a link of the page: routed here, not loaded (a click with a modifier opens a tab).
  follow(event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    this.navigate(event.currentTarget.getAttribute("href"));
  }

  open(id) {
    this.navigate(`/jobs/${id}${location.search}`, true);
  }

  // A dialog was closed (Escape, its close button): back to the gallery with its filters.
  closed() {
    const query = new URLSearchParams(location.search);
    query.delete("remix");
    const text = query.toString();
    if (location.pathname !== "/") this.navigate(`/${text ? `?${text}` : ""}`);
  }

  route() {
    if (!this.me) return;
    const path = location.pathname;
    const filters = filtersFrom(location.search);
    this.showFilters(filters);
    this.gallery.show(filters);
    const job = path.match(/^\/jobs\/([^/]+)$/);
    if (job) this.view.show(decodeURIComponent(job[1]));
    else this.view.hide();
    if (path === "/new") this.form.show(new URLSearchParams(location.search).get("remix"));
    else this.form.hide();
  }

  // --- filters -----------------------------------------------------------------------------------

  filtersForm() {
    const status = $("#filter-status");
    status.append(...STATUSES.map((name) => h("option", { value: name }, name)));
    let pause = null;
    const apply = () => {
      const filters = {
        status: status.value,
        workflow: $("#filter-workflow").value,
        favorite: $("#filter-favorite").checked,
        owner: $("#filter-owner").value,
        q: $("#filter-q").value.trim(),
      };
      const path = location.pathname === "/" ? "/" : location.pathname;
      this.navigate(`${path}${filtersQuery(filters)}`, true);
    };
    $("#filters").addEventListener("change", apply);
    $("#filter-q").addEventListener("input", () => {
      clearTimeout(pause);
      pause = setTimeout(apply, SEARCH_PAUSE_MS);
    });
    $("#filters").addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(pause);
      apply();
    });
  }

  async fillFilters() {
    const workflow = $("#filter-workflow");
    workflow.replaceChildren(h("option", { value: "" }, "any"), ...[...this.workflows.values()].map((info) => h("option", { value: info.name }, info.title)));
    const owner = $("#filter-owner");
    const admin = this.me.keys_required && this.me.role === "admin";
    $("#owner-filter").hidden = !admin;
    if (admin) {
      const keys = await api("GET", "/api/keys").catch(() => []);
      const names = [...new Set(keys.map((key) => key.name))];
      owner.replaceChildren(h("option", { value: "" }, "everyone"), ...names.map((name) => h("option", { value: name }, name)));
    }
    this.showFilters(filtersFrom(location.search));
  }

  showFilters(filters) {
    $("#filter-status").value = filters.status;
    $("#filter-workflow").value = filters.workflow;
    $("#filter-favorite").checked = filters.favorite;
    $("#filter-owner").value = filters.owner;
    if (document.activeElement !== $("#filter-q")) $("#filter-q").value = filters.q;
  }

  // --- jobs changing -----------------------------------------------------------------------------

  // An action on a job (favorite, cancel, delete), then its new state everywhere.
  async act(request, id, removed = false) {
    try {
      await request;
      if (removed) return this.gone(id);
      this.changed(await api("GET", `/api/jobs/${id}`));
    } catch (error) {
      this.notice(error.message);
    }
  }

  submitted(job) {
    this.changed(job);
    this.closed();
  }

  changed(job) {
    this.gallery.upsert(job);
    this.view.update(job);
  }

  gone(id) {
    this.gallery.remove(id);
    if (this.view.id === id) this.view.hide();
  }

  notice(text) {
    $("#notice").textContent = text;
  }

  message(message) {
    if (message.type === "queue.snapshot") {
      this.queue.snapshot(message);
      for (const { job } of message.jobs) this.changed(job);
      return;
    }
    if (message.type === "queue.totals") return this.queue.count(message);
    this.queue.event(message);
    const known = this.gallery.find(message.job_id) || (this.view.job?.id === message.job_id ? this.view.job : null);
    switch (message.type) {
      case "job.created":
      case "job.finished":
        this.changed(message.job);
        break;
      case "job.preview":
        this.gallery.preview(message.job_id, previewUrl(message));
        break;
      case "job.progress":
        this.gallery.progress(message.job_id, message.percent);
        this.view.progress(message.job_id, message.percent);
        break;
      case "job.deleted":
        this.gone(message.job_id);
        break;
      case "job.status":
      case "job.updated":
      case "job.failed":
      case "job.cancelled": {
        if (!known) break;
        const status = TERMINAL[message.type] || message.status;
        const fields = ["favorite", "cancel_requested", "progress", "error", "error_details", "worker"];
        const update = Object.fromEntries(fields.filter((name) => name in message).map((name) => [name, message[name]]));
        this.changed({ ...known, ...update, status });
        // The outcome's own row (timings, the error's details) replaces what the event carried.
        if (TERMINAL[message.type]) api("GET", `/api/jobs/${message.job_id}`).then((job) => this.changed(job), () => {});
        break;
      }
    }
  }
}

new App().start();
