// The password dialog of an encrypted save, shared by the popup, the export page and the
// backup page: password and confirmation, a strength hint and a suggested passphrase from
// the wasm core (`passwordStrength`, `passphrase`), one sentence on ZIP's weak key
// derivation, "Save encrypted" and "Cancel". A modal <dialog>: focus moves into it and
// back, Escape cancels. The password is handed to the caller and kept nowhere else.
//
//   const password = await askPassword(core, { what: "this chat" });
//   if (password === null) return; // cancelled

/** @type {Record<string, string>} */
const HINTS = {
  too_short: "Too short: use at least 8 characters.",
  weak: "Weak: easy to guess. A passphrase of several words is much stronger.",
  fair: "Fair: a longer passphrase would be safer.",
  strong: "Strong.",
};

let opened = 0;

/** What the dialog needs of the wasm core (either module, loaded).
 *  @typedef {{passwordStrength(password: string): string, passphrase(random: Uint32Array): string}} PasswordCore */

/**
 * Asks for a password; resolves with it, or with null when cancelled. `core` gives
 * `passwordStrength(password)` and `passphrase(randomUint32Array)` (the wasm core, loaded);
 * `what` names what is saved ("this chat", "3 conversations", "the backup").
 * @param {PasswordCore} core  @param {{what?: string}} [about]
 * @returns {Promise<string | null>}
 */
export function askPassword(core, { what = "this save" } = {}) {
  const id = `pw-${++opened}`;
  const back = document.activeElement;
  const dialog = document.createElement("dialog");
  dialog.className = "password-dialog";
  dialog.setAttribute("aria-labelledby", `${id}-title`);
  dialog.setAttribute("aria-describedby", `${id}-about`);
  const form = el("form", { method: "dialog", noValidate: true });
  const password = el("input", { type: "password", id: `${id}-password`, autocomplete: "new-password", spellcheck: false, required: true });
  const confirm = el("input", { type: "password", id: `${id}-confirm`, autocomplete: "new-password", spellcheck: false, required: true });
  password.setAttribute("aria-describedby", `${id}-strength ${id}-warning`);
  const show = el("input", { type: "checkbox", id: `${id}-show` });
  const strength = el("p", { className: "password-strength", id: `${id}-strength` });
  strength.setAttribute("aria-live", "polite");
  const problem = el("p", { className: "password-problem", id: `${id}-problem`, hidden: true });
  problem.setAttribute("role", "alert");
  const suggest = el("button", { type: "button", className: "small", textContent: "Suggest a passphrase" });
  const cancel = el("button", { type: "button", textContent: "Cancel" });
  const save = el("button", { type: "submit", className: "primary", textContent: "Save encrypted" });
  form.append(
    el("h2", { id: `${id}-title`, textContent: `Save ${what} encrypted` }),
    el("p", {
      id: `${id}-about`,
      className: "password-about",
      textContent: "chatkeep writes one ZIP encrypted with AES-256, which 7-Zip, WinRAR, Keka and most archive tools open. The password is not kept anywhere: without it, nobody can open the ZIP, you included.",
    }),
    field(`${id}-password`, "Password", password),
    field(`${id}-confirm`, "Confirm the password", confirm),
    el("div", { className: "password-tools" }, [el("span", { className: "password-show" }, [show, label(`${id}-show`, "Show")]), suggest]),
    strength,
    el("p", {
      id: `${id}-warning`,
      className: "password-warning",
      textContent: "ZIP's key derivation is weak against short passwords: choose a long passphrase, such as a suggested one.",
    }),
    problem,
    el("div", { className: "password-buttons" }, [cancel, save]),
  );
  dialog.append(form);
  document.body.append(dialog);

  const hint = () => {
    const s = rate(core, password.value);
    strength.textContent = password.value ? HINTS[s] ?? "" : "";
    strength.dataset.strength = password.value ? s : "";
  };
  password.addEventListener("input", () => {
    hint();
    problem.hidden = true;
  });
  confirm.addEventListener("input", () => {
    problem.hidden = true;
  });
  show.addEventListener("change", () => {
    password.type = confirm.type = show.checked ? "text" : "password";
  });
  suggest.addEventListener("click", () => {
    const words = core.passphrase(crypto.getRandomValues(new Uint32Array(6)));
    password.value = confirm.value = words;
    // Shown, so it can be written down.
    show.checked = true;
    password.type = confirm.type = "text";
    hint();
    problem.hidden = true;
    password.select();
    password.focus();
  });

  return new Promise((resolve) => {
    /** @type {string | null} */
    let answer = null;
    /** @param {string} text  @param {HTMLElement} field */
    const fail = (text, field) => {
      problem.textContent = text;
      problem.hidden = false;
      field.focus();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (rate(core, password.value) === "too_short") return fail(HINTS.too_short, password);
      if (confirm.value !== password.value) return fail("The two passwords differ: type the same one twice.", confirm);
      answer = password.value;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    // Escape: the dialog's own cancel, which closes it.
    dialog.addEventListener("close", () => {
      password.value = confirm.value = "";
      dialog.remove();
      if (back instanceof HTMLElement && back.isConnected) back.focus();
      resolve(answer);
    });
    dialog.showModal();
    password.focus();
  });
}

/** @param {PasswordCore} core  @param {string} password */
function rate(core, password) {
  try {
    return core.passwordStrength(password);
  } catch {
    return "weak";
  }
}

/** @param {string} id  @param {string} text  @param {HTMLElement} input */
function field(id, text, input) {
  return el("div", { className: "password-field" }, [label(id, text), input]);
}

/** @param {string} id  @param {string} text */
function label(id, text) {
  const l = el("label", { textContent: text });
  l.htmlFor = id;
  return l;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag  @param {Partial<HTMLElementTagNameMap[K]>} [props]  @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
