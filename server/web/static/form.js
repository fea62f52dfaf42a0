// The new-job and remix form, built from GET /api/workflows like the TUI's: a control per
// parameter (limits, choices, aspect presets, models ComfyUI has), images dropped in and
// uploaded, styles and presets when there are any; refusals shown next to their fields.
import { ApiError, api } from "./api.js";
import { h } from "./dom.js";

// GET /api/models fields -> the ComfyUI folder each lists (server/models/schemas.py).
const MODEL_FOLDERS = {
  models: "checkpoints",
  unet_models: "diffusion_models",
  loras: "loras",
  vae: "vae",
  text_encoders: "text_encoders",
  upscale_models: "upscale_models",
};
const IMAGE_TYPES = "image/png,image/jpeg,image/webp";

export class JobForm {
  constructor(app, dialog) {
    Object.assign(this, { app, dialog });
    this.models = null;
    this.styles = [];
    this.presets = [];
    this.open = false;
    dialog.addEventListener("close", () => {
      if (this.open) this.app.closed();
      this.open = false;
    });
  }

  async show(remixId) {
    this.open = true;
    this.dialog.replaceChildren(h("p", { class: "loading" }, "Loading…"));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const [remix] = await Promise.all([remixId ? api("GET", `/api/jobs/${remixId}`) : null, this.catalogue()]);
      this.remix = remix;
      // A remix starts from the job's values and the seed it used.
      this.initial = remix ? { ...remix.params, seed: remix.seed } : {};
      this.style = remix?.style || "";
      this.workflow = remix?.workflow || this.workflow || this.first();
      this.render();
    } catch (error) {
      this.dialog.replaceChildren(this.header("New job"), h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  // The original system's default workflow when there is one, else the first ComfyUI can run.
  first() {
    const all = [...this.app.workflows.values()];
    return (this.app.workflows.get("text_to_image") || all.find((workflow) => workflow.runnable !== false) || all[0])?.name;
  }

  hide() {
    this.open = false;
    if (this.dialog.open) this.dialog.close();
  }

  async catalogue() {
    const [models, styles, presets] = await Promise.all([
      this.models ? this.models : api("GET", "/api/models").catch(() => ({})), // ComfyUI away: defaults only
      api("GET", "/api/styles").catch(() => []),
      api("GET", "/api/presets").catch(() => []),
    ]);
    this.models = models;
    this.styles = styles;
    this.presets = presets;
  }

  header(text) {
    return h(
      "header",
      { class: "dialog-head" },
      h("h2", { id: "form-title" }, text),
      h("button", { type: "button", class: "icon close", "aria-label": "Close", onclick: () => this.dialog.close() }, "✕"),
    );
  }

  render() {
    const workflow = this.app.workflows.get(this.workflow);
    this.fields = workflow.params.map((param) => this.field(param));
    const picker = h(
      "select",
      { id: "field-workflow", name: "workflow", onchange: (event) => this.switchTo(event.target.value) },
      [...this.app.workflows.values()].map((info) =>
        h("option", { value: info.name, selected: info.name === this.workflow }, info.title + (info.runnable === false ? " (cannot run)" : "")),
      ),
    );
    const form = h(
      "form",
      { class: "job-form", novalidate: true, onsubmit: (event) => this.submit(event) },
      this.control("workflow", "Workflow", picker),
      workflow.description ? h("p", { class: "about" }, workflow.description) : null,
      workflow.problems?.length ? h("ul", { class: "warning" }, workflow.problems.map((problem) => h("li", {}, problem))) : null,
      this.presets.length && !this.remix ? this.presetPicker() : null,
      this.styles.length ? this.stylePicker() : null,
      this.fields.filter((field) => !field.param.advanced).map((field) => field.element),
      this.fields.some((field) => field.param.advanced)
        ? h("details", { class: "advanced" }, h("summary", {}, "Advanced"), this.fields.filter((field) => field.param.advanced).map((field) => field.element))
        : null,
      h("p", { class: "form-error", role: "alert" }),
      h(
        "div",
        { class: "tools" },
        h("button", { type: "submit", class: "primary" }, this.remix ? "Remix" : "Submit"),
        h("button", { type: "button", onclick: () => this.dialog.close() }, "Cancel"),
      ),
    );
    this.dialog.replaceChildren(this.header(this.remix ? `Remix of ${this.remix.prompt.slice(0, 80) || this.remix.workflow}` : "New job"), form);
    this.form = form;
    (form.querySelector("textarea") || picker).focus();
  }

  // A label, a control and the place for the server's refusal of it.
  // `target`: the control the label names, when `control` wraps several.
  control(name, label, control, hint = "", target = control) {
    target.id ||= `field-${name}`;
    target.setAttribute("aria-describedby", `error-${name}`);
    return h(
      "div",
      { class: "field", "data-field": name },
      h("label", { for: target.id }, label),
      control,
      hint ? h("small", { class: "hint" }, hint) : null,
      h("span", { class: "field-error", id: `error-${name}` }),
    );
  }

  stylePicker() {
    const select = h(
      "select",
      { onchange: (event) => (this.style = event.target.value) },
      h("option", { value: "" }, "none"),
      this.styles.map((style) => h("option", { value: style.name, selected: style.name === this.style }, style.title || style.name)),
    );
    return this.control("style", "Style", select);
  }

  presetPicker() {
    const select = h(
      "select",
      { onchange: (event) => this.applyPreset(event.target.value) },
      h("option", { value: "" }, "none"),
      this.presets.map((preset) => h("option", { value: preset.name }, `${preset.name} (${preset.workflow})`)),
    );
    return this.control("preset", "Preset", select);
  }

  applyPreset(name) {
    const preset = this.presets.find((each) => each.name === name);
    if (!preset) return;
    this.workflow = preset.workflow;
    this.initial = { ...preset.params };
    this.style = preset.style || "";
    this.render();
  }

  switchTo(name) {
    // What was typed travels to the same parameter (name, type, model folder) of the other workflow.
    const kind = (param) => `${param.name} ${param.type} ${param.folder}`;
    const kinds = new Set(this.app.workflows.get(name).params.map(kind));
    for (const field of this.fields) {
      const value = field.value();
      if (!kinds.has(kind(field.param))) delete this.initial[field.param.name];
      else if (value !== undefined && value !== field.start) this.initial[field.param.name] = value;
    }
    this.workflow = name;
    this.render();
  }

  field(param) {
    const name = `params.${param.name}`;
    const label = param.label || param.name.replaceAll("_", " ");
    const initial = param.name in this.initial ? this.initial[param.name] : param.default;
    const build = {
      integer: () => this.number(param, initial),
      number: () => this.number(param, initial),
      seed: () => this.seed(param, initial),
      image: () => this.image(param, initial),
      choice: () => this.choice(param.choices || [], initial),
      model: () => this.choice(this.modelsIn(param.folder), initial),
      aspect_ratio: () =>
        this.choice(
          Object.entries(param.presets || {}).map(([preset, [w, hgt]]) => [preset, `${preset}  ${w}×${hgt}`]),
          initial,
        ),
    }[param.type];
    const { control, value, target } = build ? build() : this.text(param, initial);
    const element = this.control(name, label + (param.required ? " *" : ""), control, param.description, target);
    return { param, element, value, start: value() };
  }

  text(param, initial) {
    const control = h("textarea", { rows: param.name.includes("prompt") ? 3 : 1, maxlength: param.max_length ?? false, required: param.required });
    control.value = initial ?? "";
    return { control, value: () => control.value.trim() };
  }

  number(param, initial) {
    const whole = param.type === "integer";
    const control = h("input", { type: "number", inputmode: whole ? "numeric" : "decimal", step: whole ? "1" : "any" });
    if (param.min !== undefined && param.min !== null) control.min = param.min;
    if (param.max !== undefined && param.max !== null) control.max = param.max;
    control.value = initial ?? "";
    return { control, value: () => (control.value.trim() === "" ? undefined : Number(control.value)) };
  }

  seed(param, initial) {
    const random = initial === -1 || initial === null || initial === undefined;
    const input = h("input", { type: "number", step: "1", inputmode: "numeric", disabled: random });
    input.value = random ? "" : initial;
    const box = h("input", { type: "checkbox", id: `random-${param.name}`, checked: random });
    box.addEventListener("change", () => (input.disabled = box.checked));
    const control = h("span", { class: "seed" }, input, h("label", { for: box.id }, box, " random"));
    return { control, target: input, value: () => (box.checked ? -1 : input.value === "" ? undefined : Number(input.value)) };
  }

  choice(options, initial) {
    const pairs = options.map((option) => (Array.isArray(option) ? option : [option, option]));
    // The initial value stays choosable when the list lacks it (a model ComfyUI no longer has).
    if (initial !== null && initial !== undefined && !pairs.some(([value]) => value === initial)) pairs.unshift([initial, initial]);
    const control = h(
      "select",
      {},
      initial === null || initial === undefined ? h("option", { value: "" }, "—") : null,
      pairs.map(([value, text]) => h("option", { value, selected: value === initial }, text)),
    );
    return { control, value: () => control.value || undefined };
  }

  modelsIn(folder) {
    const field = Object.keys(MODEL_FOLDERS).find((key) => MODEL_FOLDERS[key] === folder);
    return (field && this.models?.[field]) || [];
  }

  // A drop zone and a file picker; the image is uploaded as soon as it is chosen.
  image(param, initial) {
    let name = initial || undefined;
    const status = h("span", { class: "image-name" }, name ? `keeps ${name}` : "no image");
    const preview = h("img", { class: "image-preview", alt: "", hidden: true });
    const picker = h("input", { type: "file", accept: IMAGE_TYPES });
    const upload = async (file) => {
      if (!file) return;
      status.textContent = `uploading ${file.name}…`;
      const body = new FormData();
      body.append("file", file);
      try {
        const stored = await api("POST", "/api/uploads", body);
        name = stored.name;
        status.textContent = `${file.name} (${stored.width}×${stored.height})`;
        preview.src = URL.createObjectURL(file);
        preview.hidden = false;
      } catch (error) {
        status.textContent = error.message;
      }
    };
    picker.addEventListener("change", () => upload(picker.files[0]));
    const zone = h(
      "div",
      {
        class: "drop",
        ondragover: (event) => {
          event.preventDefault();
          zone.classList.add("over");
        },
        ondragleave: () => zone.classList.remove("over"),
        ondrop: (event) => {
          event.preventDefault();
          zone.classList.remove("over");
          upload(event.dataTransfer.files[0]);
        },
      },
      picker,
      h("span", { class: "hint" }, "or drop an image here"),
      status,
      preview,
    );
    return { control: zone, target: picker, value: () => name };
  }

  // The values to send: those that differ from where the form started (a workflow's default, or
  // the remixed job's value), so a job keeps saying which values were left to the workflow.
  params() {
    const params = {};
    for (const { param, value } of this.fields) {
      const entered = value();
      const base = this.remix && param.name in this.remix.params ? this.remix.params[param.name] : param.default;
      if (entered !== undefined && (entered !== base || param.required)) params[param.name] = entered;
    }
    return params;
  }

  async submit(event) {
    event.preventDefault();
    for (const shown of this.form.querySelectorAll(".field-error")) shown.textContent = "";
    for (const marked of this.form.querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
    const formError = this.form.querySelector(".form-error");
    formError.textContent = "";
    const button = this.form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const params = this.params();
      let job;
      if (this.remix) {
        const body = { params };
        if (this.workflow !== this.remix.workflow) body.workflow = this.workflow;
        if (this.style !== (this.remix.style || "")) body.style = this.style || null;
        job = await api("POST", `/api/jobs/${this.remix.id}/remix`, body);
      } else {
        job = await api("POST", "/api/jobs", { workflow: this.workflow, params, ...(this.style ? { style: this.style } : {}) });
      }
      this.app.submitted(job);
    } catch (error) {
      this.refused(error, formError);
    } finally {
      button.disabled = false;
    }
  }

  refused(error, formError) {
    const unplaced = [];
    for (const { field, message } of error instanceof ApiError ? error.errors : []) {
      const place = this.form.querySelector(`[data-field="${CSS.escape(field)}"]`);
      if (!place) {
        unplaced.push(`${field}: ${message}`);
        continue;
      }
      place.querySelector(".field-error").textContent = message;
      place.querySelector("input, textarea, select")?.setAttribute("aria-invalid", "true");
    }
    // Refusals of fields the form shows stand by them; anything else (a limit, a 503) above the buttons.
    formError.textContent = unplaced.length ? unplaced.join("; ") : error.errors?.length ? "" : error.message;
    (this.form.querySelector("[aria-invalid]") || formError).focus?.();
  }
}
