/**
 * `<vexilla-tenant-settings>`: the settings panel a customer embeds in their product so their
 * tenants' admins change what Vexilla lets them (/tenant/v1). Framework-free, one small module:
 *
 *   <script type="module" src="https://flags.example.com/elements/vexilla-tenant-settings.js"></script>
 *   <vexilla-tenant-settings api-url="https://flags.example.com" token="<tenant JWT>"></vexilla-tenant-settings>
 *
 * `token` is also a property (set it when your backend mints a fresh one; the panel reloads).
 * Events: `vexilla-token-expired` (401: mint a new token), `vexilla-saved` ({featureName, value}).
 *
 * CSP-safe: no inline script or style attribute, no innerHTML, no eval; styles are a constructed
 * stylesheet adopted by the shadow root, so `style-src 'self'` pages need nothing extra. It needs
 * `script-src` for its own URL and `connect-src` for `api-url`. Accessible: a labelled control
 * per feature, errors tied to their field (aria-invalid, aria-describedby) and announced, a
 * polite status region for saves and resets, native keyboard behaviour throughout.
 */

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

interface FeatureView {
  featureName: string;
  label: string;
  description: string;
  valueType: 'string' | 'number' | 'boolean' | 'json';
  enabled: boolean;
  value: JsonValue;
  source: { kind: 'override' } | { kind: 'template'; template: string; name: string } | { kind: 'segment'; segment: string } | { kind: 'default' };
  version: number;
  constraints: { input: 'choice' | 'number' | 'text' | 'json'; allowedValues?: JsonValue[]; minimum?: number; maximum?: number; allowToggle: boolean };
}

interface ErrorBody {
  statusCode: number;
  message: string;
  details?: { path: string; message: string }[];
}

const CSS = `
:host { display: block; font: inherit; color: inherit; }
.panel { display: grid; gap: 1rem; }
fieldset { border: 1px solid #8a8f98; border-radius: 6px; padding: 0.75rem 1rem; margin: 0; display: grid; gap: 0.5rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.hint, .source { margin: 0; color: #3d434b; font-size: 0.9em; }
.error { margin: 0; color: #a4161a; font-weight: 600; }
.error:empty { display: none; }
input, select, textarea, button { font: inherit; }
input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"] { border: 2px solid #a4161a; }
textarea { min-height: 5em; font-family: ui-monospace, monospace; }
.actions { display: flex; gap: 0.5rem; }
button { padding: 0.35rem 0.9rem; border-radius: 4px; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1d4ed8; }
button:disabled { opacity: 0.55; cursor: not-allowed; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.status { min-height: 1.2em; margin: 0; }
`;

let sheet: CSSStyleSheet | undefined;
const styles = () => {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const display = (value: JsonValue) => (typeof value === 'string' ? value : JSON.stringify(value));
const sourceText = (view: FeatureView) =>
  view.source.kind === 'override'
    ? 'Set by your organisation'
    : view.source.kind === 'template'
      ? `From your plan (${view.source.name})`
      : view.source.kind === 'segment'
        ? `From your segment ${view.source.segment}`
        : 'Default';

let instances = 0;

export class VexillaTenantSettings extends HTMLElement {
  static observedAttributes = ['api-url', 'token'];
  #token: string | undefined;
  #root: ShadowRoot;
  #status: HTMLParagraphElement;
  #panel: HTMLDivElement;
  #id = `vts${++instances}`;
  #loading = 0;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.adoptedStyleSheets = [styles()];
    this.#panel = el('div', { class: 'panel' });
    this.#status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.#root.append(this.#status, this.#panel);
  }

  get token(): string | undefined {
    return this.#token ?? this.getAttribute('token') ?? undefined;
  }
  set token(value: string | undefined) {
    this.#token = value;
    void this.load();
  }

  get apiUrl(): string {
    return (this.getAttribute('api-url') ?? '').replace(/\/$/, '');
  }

  connectedCallback() {
    void this.load();
  }

  attributeChangedCallback(_name: string, previous: string | null, next: string | null) {
    if (previous !== next && this.isConnected) void this.load();
  }

  async #call(method: string, path: string, body?: unknown): Promise<{ ok: true; body: unknown } | { ok: false; error: ErrorBody }> {
    const token = this.token;
    if (!token) return { ok: false, error: { statusCode: 401, message: 'No tenant token was given to the settings panel.' } };
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}/tenant/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      return { ok: false, error: { statusCode: 0, message: 'The settings service could not be reached: check your connection and try again.' } };
    }
    const parsed: unknown = await response.json().catch(() => undefined);
    if (response.ok) return { ok: true, body: parsed };
    const error = (parsed && typeof parsed === 'object' ? parsed : { statusCode: response.status, message: response.statusText }) as ErrorBody;
    if (response.status === 401) this.dispatchEvent(new CustomEvent('vexilla-token-expired', { bubbles: true, composed: true }));
    return { ok: false, error };
  }

  /** Loads the tenant's configurable features and renders one form per feature. */
  async load(): Promise<void> {
    if (!this.apiUrl || !this.token) return;
    const run = ++this.#loading;
    this.setAttribute('aria-busy', 'true');
    const reply = await this.#call('GET', '/features');
    if (run !== this.#loading) return;
    this.removeAttribute('aria-busy');
    if (!reply.ok) {
      this.#panel.replaceChildren(el('p', { class: 'error', role: 'alert' }, reply.error.message));
      return;
    }
    const { tenant, features } = reply.body as { tenant: { name: string }; features: FeatureView[] };
    this.#panel.replaceChildren(
      el('h2', {}, `Settings for ${tenant.name}`),
      ...(features.length ? features.map((view) => this.#form(view)) : [el('p', {}, 'There is nothing to configure yet.')]),
    );
  }

  #form(initial: FeatureView): HTMLFormElement {
    let view = initial;
    const base = `${this.#id}-${view.featureName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const ids = { input: `${base}-value`, hint: `${base}-hint`, error: `${base}-error`, toggle: `${base}-enabled`, source: `${base}-source` };
    const error = el('p', { class: 'error', id: ids.error });
    const source = el('p', { class: 'source', id: ids.source });
    const input = this.#input(view, ids);
    const toggle = view.constraints.allowToggle ? el('input', { type: 'checkbox', id: ids.toggle }) : undefined;
    const reset = el('button', { type: 'button', class: 'secondary' }, 'Reset to default');
    const save = el('button', { type: 'submit' }, 'Save');
    const show = (next: FeatureView) => {
      view = next;
      source.textContent = sourceText(next);
      this.#setValue(input, next);
      if (toggle) toggle.checked = next.enabled;
      reset.disabled = next.source.kind !== 'override';
    };
    const showError = (message: string) => {
      error.textContent = message;
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
      if (message) error.setAttribute('role', 'alert');
      else error.removeAttribute('role');
    };
    const form = el(
      'form',
      { 'aria-labelledby': `${base}-legend`, novalidate: '' },
      el(
        'fieldset',
        {},
        el('legend', { id: `${base}-legend` }, view.label),
        ...(view.description ? [el('p', { class: 'hint', id: ids.hint }, view.description)] : []),
        el('label', { for: ids.input }, `${view.label} value`),
        input,
        error,
        ...(toggle ? [el('label', {}, toggle, ` ${view.label} enabled`)] : []),
        source,
        el('div', { class: 'actions' }, save, reset),
      ),
    );
    input.setAttribute('aria-describedby', [view.description ? ids.hint : '', ids.error, ids.source].filter(Boolean).join(' '));
    show(view);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        const parsed = this.#readValue(input, view);
        if ('problem' in parsed) {
          showError(parsed.problem);
          input.focus();
          return;
        }
        save.disabled = true;
        const reply = await this.#call('PUT', `/features/${encodeURIComponent(view.featureName)}`, { value: parsed.value, ...(toggle ? { enabled: toggle.checked } : {}), version: view.version });
        save.disabled = false;
        if (!reply.ok) {
          // A 422 names the field: its message goes under the input, and is announced.
          showError(reply.error.details?.[0]?.message ? `${reply.error.details[0].message}.` : reply.error.message);
          input.focus();
          return;
        }
        showError('');
        show(reply.body as FeatureView);
        this.#status.textContent = `${view.label} saved.`;
        this.dispatchEvent(new CustomEvent('vexilla-saved', { bubbles: true, composed: true, detail: { featureName: view.featureName, value: parsed.value } }));
      })();
    });
    reset.addEventListener('click', () => {
      void (async () => {
        const reply = await this.#call('DELETE', `/features/${encodeURIComponent(view.featureName)}`);
        if (!reply.ok) {
          showError(reply.error.message);
          return;
        }
        showError('');
        show(reply.body as FeatureView);
        this.#status.textContent = `${view.label} reset to its default.`;
        save.focus();
      })();
    });
    return form;
  }

  #input(view: FeatureView, ids: { input: string }): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
    const { constraints } = view;
    if (constraints.input === 'choice' && constraints.allowedValues) {
      return el('select', { id: ids.input }, ...constraints.allowedValues.map((value) => el('option', { value: JSON.stringify(value) }, display(value))));
    }
    if (constraints.input === 'number') {
      return el('input', { id: ids.input, type: 'number', inputmode: 'decimal', step: 'any', min: constraints.minimum?.toString(), max: constraints.maximum?.toString() });
    }
    if (constraints.input === 'text') return el('input', { id: ids.input, type: 'text' });
    return el('textarea', { id: ids.input, spellcheck: 'false' });
  }

  #setValue(input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, view: FeatureView): void {
    if (input instanceof HTMLSelectElement) input.value = JSON.stringify(view.value);
    else if (view.constraints.input === 'json') input.value = JSON.stringify(view.value, null, 2);
    else input.value = view.value === null ? '' : String(view.value);
  }

  #readValue(input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, view: FeatureView): { value: JsonValue } | { problem: string } {
    const text = input.value;
    if (input instanceof HTMLSelectElement) return { value: JSON.parse(text) as JsonValue };
    if (view.constraints.input === 'number') {
      if (text.trim() === '') return { problem: 'Enter a number.' };
      const number = Number(text);
      return Number.isFinite(number) ? { value: number } : { problem: 'Enter a number.' };
    }
    if (view.constraints.input === 'json') {
      try {
        return { value: JSON.parse(text) as JsonValue };
      } catch {
        return { problem: 'Enter valid JSON.' };
      }
    }
    return { value: text };
  }
}

if (!customElements.get('vexilla-tenant-settings')) customElements.define('vexilla-tenant-settings', VexillaTenantSettings);
