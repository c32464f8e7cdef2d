// The policy editor (`#/policies/<id>`, `#/policies/new`): one PolicyDocument, shown by the form
// and by the JSON tab; validated as it changes; saved as a new version; simulated; with history.
// A viewer sees the same page read-only (the API refuses their writes anyway).

import { h, fill, labelled, select } from "./dom.js";
import { PolicyDocument, emptyPolicy } from "./policy-document.js";
import { tabList } from "./tabs.js";
import { jsonTab } from "./json-tab.js";
import { toolsTable, otherEntries } from "./tools-table.js";
import { entryEditor } from "./entry-editor.js";
import { defaultSetting, riskSettings, otherSettings } from "./document-settings.js";
import { problemErrors, showErrorsInForm } from "./validation-errors.js";
import { unionOfPaths } from "./argument-paths.js";
import { isObject } from "./tool-states.js";
import { simulatePanel } from "./simulate-panel.js";
import { versionHistory } from "./version-history.js";
import { listAll } from "./api-lists.js";

const VALIDATION_DELAY_MS = 400;
const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export async function renderEditor(root, ctx, id) {
  const { api } = ctx;
  const readOnly = ctx.member?.role === "viewer";
  const isNew = id === "new";
  const [policy, servers] = await Promise.all([
    isNew ? Promise.resolve(null) : api("GET", `/v1/policies/${encodeURIComponent(id)}`),
    listAll(api, "/v1/servers"),
  ]);
  const policyDocument = new PolicyDocument(policy?.document ?? emptyPolicy());
  let serverId = policy?.server_id ?? (isNew ? servers[0]?.id ?? null : null);
  let tools = [];
  // What the form shows that is not in the document: tools opened as Custom while `{}`, the tool filter.
  const viewState = { openCustom: new Set(), filter: "" };
  let errors = [];

  const view = {
    readOnly,
    change: (mutate, structural = false) => policyDocument.change(mutate, { source: "form", structural }),
  };

  // Header: name, description, server, actions.
  const header = h("div", { class: "pe-header" });
  const name = h("input", { id: "pe-name", type: "text", required: true, value: policy?.name ?? "", readOnly, autocomplete: "off" });
  const description = h("input", { id: "pe-description", type: "text", value: policy?.description ?? "", readOnly });
  const serverSelect = select("pe-server", [["", "no server"], ...servers.map((s) => [s.id, s.name])], serverId ?? "", async (value) => {
    serverId = value || null;
    await loadTools();
    renderForm();
  }, readOnly || (!isNew && policy?.server_id !== null));
  header.append(h("div", { class: "pe-row" },
    labelled("Name", name, "/name"), labelled("Description", description, "/description"), labelled("Server", serverSelect, "/server_id")));

  const status = h("p", { id: "pe-status", class: "pe-status", role: "status" });
  const summary = h("div", { class: "pe-summary", "aria-live": "polite" });
  const actions = h("div", { class: "pe-actions" });
  if (!readOnly) {
    actions.append(
      h("button", { type: "button", id: "pe-recommended", onclick: startFromRecommended }, "Start from the recommended policy"),
      h("button", { type: "button", id: "pe-save", class: "primary", onclick: save }, isNew ? "Create policy" : "Save new version"));
    if (!isNew) actions.append(deleteButton());
  }

  // The two views of the document.
  const formPanel = h("div", { class: "pe-form" });
  const json = jsonTab(view, policyDocument);
  const tabs = tabList("Policy views", [
    { id: "pe-form-panel", label: "Form", panel: formPanel },
    { id: "pe-json-panel", label: "JSON", panel: json.element },
  ]);

  const simulateBox = h("div");
  const versionsBox = h("div");
  fill(root,
    h("h2", {}, isNew ? "New policy" : `Policy ${policy.name}`),
    readOnly ? h("p", { class: "pe-hint" }, "You are a viewer: this policy is read-only.") : null,
    header, actions, status, summary, tabs, formPanel, json.element, simulateBox, versionsBox);

  function renderForm() {
    const focused = document.activeElement?.id;
    const doc = policyDocument.value;
    const catalogNames = new Set(tools.map((t) => t.name));
    const allPaths = unionOfPaths(tools);
    const allTools = isObject(doc.all_tools) ? doc.all_tools : {};
    fill(formPanel,
      h("section", { "aria-labelledby": "pe-default-title" }, h("h3", { id: "pe-default-title" }, "Default"), defaultSetting(view, doc)),
      serverId ? toolsTable(view, doc, tools, viewState) : h("p", { class: "pe-hint" }, "Pick a server to list its tools."),
      otherEntries(view, doc, catalogNames, allPaths),
      h("section", { class: "pe-all-tools", "aria-labelledby": "pe-all-tools-title", "data-pointer": "/all_tools" },
        h("h3", { id: "pe-all-tools-title" }, "Every tool (all_tools)"),
        h("p", { class: "pe-hint" }, "Rules and limits for every call that a tool entry, risk class or the default allows."),
        entryEditor({ ...view, change: (mutate, structural) => view.change((d) => {
          if (!isObject(d.all_tools)) d.all_tools = allTools;
          mutate(d);
          if (Object.keys(d.all_tools).length === 0) delete d.all_tools;
        }, structural) }, allTools, "/all_tools", allPaths, { counterName: "all-calls", withApproval: false, label: "Rules for every tool" })),
      riskSettings(view, doc),
      otherSettings(view, doc));
    if (focused) document.getElementById(focused)?.focus();
    showErrors();
  }

  function showErrors() {
    const inDocument = errors.filter((e) => e.inDocument);
    const unplaced = [...showErrorsInForm(formPanel, inDocument), ...showErrorsInForm(header, errors.filter((e) => !e.inDocument))];
    json.showErrors(inDocument);
    fill(summary);
    if (errors.length > 0) {
      fill(summary, h("p", { class: "pe-error" }, errors.length === 1 ? "1 problem in this policy." : `${errors.length} problems in this policy.`),
        unplaced.length > 0 ? h("ul", {}, ...unplaced.map((e) => h("li", { class: "pe-error", "data-error-pointer": e.pointer }, `${e.pointer || "/"}: ${e.message}`))) : null);
    }
  }

  let validationTimer = null;
  let validationRound = 0;
  ctx.onLeave?.(() => clearTimeout(validationTimer));
  function scheduleValidation() {
    clearTimeout(validationTimer);
    validationTimer = setTimeout(validate, VALIDATION_DELAY_MS);
  }
  async function validate() {
    const round = ++validationRound;
    try {
      await api("POST", "/v1/policies/validate", { document: policyDocument.value });
      if (round === validationRound) setErrors([]);
    } catch (error) {
      if (round !== validationRound) return;
      if (error.status === 400) setErrors(problemErrors(error.problem));
      else setStatus(`Could not validate: ${error.problem?.detail ?? error.message}`);
    }
  }
  function setErrors(next) {
    errors = next;
    showErrors();
  }

  function setStatus(text) {
    status.textContent = text;
  }
  function updateDirty() {
    if (policyDocument.dirty) setStatus("Unsaved changes.");
    else if (status.textContent === "Unsaved changes.") setStatus("");
  }

  policyDocument.subscribe((event) => {
    if (event.structural || event.source !== "form") renderForm();
    json.refresh(event);
    updateDirty();
    scheduleValidation();
  });

  async function loadTools() {
    tools = serverId ? (await listAll(api, `/v1/servers/${serverId}/tools`)).filter((t) => !t.removed_at).sort(byName) : [];
  }

  async function startFromRecommended() {
    if (!serverId) {
      setStatus("Pick a server first: the recommended policy comes from its catalog.");
      return;
    }
    try {
      const recommended = await api("GET", `/v1/servers/${serverId}/recommended-policy`);
      viewState.openCustom.clear();
      policyDocument.replace(recommended, { source: "recommended" });
      setStatus("Filled from the server's recommended policy. Not saved yet.");
    } catch (error) {
      setStatus(`Could not load the recommended policy: ${error.problem?.detail ?? error.message}`);
    }
  }

  async function save() {
    clearTimeout(validationTimer);
    validationRound += 1;
    setStatus("Saving…");
    const body = { name: name.value.trim(), description: description.value === "" ? null : description.value, document: policyDocument.value };
    try {
      let saved;
      if (isNew) {
        if (body.description === null) delete body.description;
        if (serverId) body.server_id = serverId;
        saved = await api("POST", "/v1/policies", body);
      } else {
        saved = await api("PUT", `/v1/policies/${encodeURIComponent(id)}`, body);
      }
      setErrors([]);
      if (isNew) {
        ctx.navigate(`#/policies/${saved.id}`);
        return;
      }
      policy.version = saved.version;
      policyDocument.markSaved(saved.document);
      setStatus(`Saved version ${saved.version}.`);
      await drawSavedParts();
    } catch (error) {
      if (error.status === 400 || error.status === 409) {
        setErrors(problemErrors(error.problem));
        setStatus(error.problem?.detail ?? "Not saved.");
      } else {
        setStatus(`Not saved: ${error.problem?.detail ?? error.message}`);
      }
    }
  }

  function deleteButton() {
    const button = h("button", { type: "button", id: "pe-delete", class: "danger", onclick: async () => {
      if (button.dataset.confirming !== "yes") {
        button.dataset.confirming = "yes";
        button.textContent = "Confirm: delete this policy";
        return;
      }
      try {
        await api("DELETE", `/v1/policies/${encodeURIComponent(id)}`);
        ctx.navigate("#/policies");
      } catch (error) {
        setStatus(`Not deleted: ${error.problem?.detail ?? error.message}`);
      }
    } }, "Delete policy");
    button.addEventListener("blur", () => {
      button.dataset.confirming = "";
      button.textContent = "Delete policy";
    });
    return button;
  }

  async function drawSavedParts() {
    simulateBox.replaceChildren(simulatePanel({ api, policyId: isNew ? null : id, serverId, tools, savedVersion: policy?.version, dirty: () => policyDocument.dirty }));
    if (isNew) return;
    versionsBox.replaceChildren(await versionHistory(api, id, {
      onRestore: readOnly ? null : (document, version) => {
        policyDocument.replace(document, { source: "history" });
        setStatus(`Loaded version ${version} into the editor. Save to make it the current version.`);
      },
    }));
  }

  await loadTools();
  renderForm();
  await drawSavedParts();
  if (!isNew) scheduleValidation();
}

