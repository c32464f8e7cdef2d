// Simulate: decide one call with the saved policy as a worker would (`POST /v1/policies/{id}/simulate`),
// without forwarding it or counting it. The arguments form is built from the tool's inputSchema.

import { h, fieldId, labelled, select } from "./dom.js";
import { typeOf } from "./argument-paths.js";
import { listAll } from "./api-lists.js";

export function simulatePanel({ api, policyId, serverId, tools, savedVersion, dirty }) {
  const panel = h("section", { class: "pe-simulate", "aria-labelledby": "pe-simulate-title" }, h("h3", { id: "pe-simulate-title" }, "Simulate a call"));
  if (!policyId) {
    panel.append(h("p", { class: "pe-hint" }, "Save the policy first: simulation decides with a saved version."));
    return panel;
  }
  panel.append(h("p", { class: "pe-hint" }, `Decides with the saved version ${savedVersion}` + (dirty() ? " (this page has unsaved changes)." : ".")));

  const subject = select("pe-sim-subject", [["", "no grant (the policy's server, no identity)"]], "", () => {});
  const toolSelect = select("pe-sim-tool", tools.map((t) => [t.name, t.name]), tools[0]?.name ?? "", () => drawArguments());
  const argumentsBox = h("div", { class: "pe-sim-arguments" });
  const result = h("div", { class: "pe-sim-result", "aria-live": "polite" });
  const form = h("form", { class: "pe-sim-form", onsubmit: (event) => { event.preventDefault(); run(); } },
    h("div", { class: "pe-row" }, labelled("As grant", subject), labelled("Tool", toolSelect)),
    argumentsBox,
    h("button", { type: "submit", id: "pe-sim-run" }, "Simulate"));
  panel.append(form, result);

  if (serverId) {
    Promise.all([listAll(api, `/v1/grants?server=${encodeURIComponent(serverId)}`), listAll(api, "/v1/identities")]).then(([grants, identities]) => {
      const labels = new Map(identities.map((i) => [i.id, i.label]));
      for (const grant of grants.filter((g) => g.status === "active")) {
        subject.append(h("option", { value: grant.id }, `${labels.get(grant.identity_id) ?? grant.identity_id} (${grant.token_hint})` + (grant.policy_id === policyId ? "" : " · other policy")));
      }
    }).catch(() => subject.append(h("option", { value: "", disabled: true }, "grants could not be listed")));
  }

  let readers = [];
  function drawArguments() {
    const tool = tools.find((t) => t.name === toolSelect.value);
    const properties = tool?.definition?.inputSchema?.properties;
    const required = new Set(Array.isArray(tool?.definition?.inputSchema?.required) ? tool.definition.inputSchema.required : []);
    readers = [];
    argumentsBox.replaceChildren();
    if (properties === null || typeof properties !== "object") {
      argumentsBox.append(h("p", { class: "pe-hint" }, "This tool takes no arguments."));
      return;
    }
    for (const [name, property] of Object.entries(properties)) {
      const control = argumentControl(name, property);
      readers.push([name, control.read]);
      argumentsBox.append(labelled(name + (required.has(name) ? " (required)" : ""), control.element));
    }
  }
  drawArguments();

  async function run() {
    result.replaceChildren(h("p", {}, "Deciding…"));
    const args = {};
    try {
      for (const [name, read] of readers) {
        const value = read();
        if (value !== undefined) args[name] = value;
      }
    } catch (error) {
      result.replaceChildren(h("p", { class: "pe-error" }, error.message));
      return;
    }
    const body = { tool: toolSelect.value, arguments: args };
    if (subject.value) body.grant_id = subject.value;
    try {
      const answer = await api("POST", `/v1/policies/${policyId}/simulate`, body);
      result.replaceChildren(decisionView(answer));
    } catch (error) {
      result.replaceChildren(h("p", { class: "pe-error" }, error.problem?.detail ?? error.message));
    }
  }
  return panel;
}

/** A control for one top-level argument and a `read()` giving its value (`undefined`: left out). */
function argumentControl(name, property) {
  const id = fieldId("/sim", name);
  const type = typeOf(property);
  if (Array.isArray(property?.enum)) {
    const element = select(id, [["", "(leave out)"], ...property.enum.map((v, i) => [String(i), JSON.stringify(v)])], "", () => {});
    return { element, read: () => (element.value === "" ? undefined : property.enum[Number(element.value)]) };
  }
  if (type === "boolean") {
    const element = select(id, [["", "(leave out)"], ["true", "true"], ["false", "false"]], "", () => {});
    return { element, read: () => (element.value === "" ? undefined : element.value === "true") };
  }
  if (type === "number" || type === "integer") {
    const element = h("input", { id, type: "number", step: type === "integer" ? "1" : "any" });
    return { element, read: () => (element.value === "" ? undefined : Number(element.value)) };
  }
  if (type === "string") {
    const element = h("input", { id, type: "text" });
    return { element, read: () => (element.value === "" ? undefined : element.value) };
  }
  const element = h("textarea", { id, rows: "2", placeholder: "JSON value", spellcheck: "false" });
  return {
    element,
    read: () => {
      if (element.value.trim() === "") return undefined;
      try {
        return JSON.parse(element.value);
      } catch {
        throw new Error(`Argument ${name} is not valid JSON.`);
      }
    },
  };
}

function decisionView(answer) {
  const rows = [["Decision", answer.decision], ["Code", answer.code ?? "—"], ["Rule", answer.rule ?? "—"], ["Message", answer.message ?? "—"]];
  if (answer.retry_after_s !== null && answer.retry_after_s !== undefined) rows.push(["Retry after", `${answer.retry_after_s} s`]);
  if (answer.approval) rows.push(["Approval", `timeout ${answer.approval.timeout_s} s, hold ${answer.approval.hold_s} s`]);
  const view = h("div", { class: "pe-decision pe-decision-" + answer.decision, "data-decision": answer.decision },
    h("dl", {}, ...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, String(value))])));
  const counters = Array.isArray(answer.counters) ? answer.counters : [];
  if (counters.length > 0) {
    view.append(h("table", { class: "pe-counters" }, h("caption", {}, "Counters this call would reserve"),
      h("thead", {}, h("tr", {}, ...["Counter", "Scope", "Window", "Current", "Adds", "Max", "Exhausted"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...counters.map((c) => h("tr", {}, ...[c.counter, c.scope, c.window, c.current, c.amount, c.max, c.exhausted ? "yes" : "no"].map((v) => h("td", {}, String(v))))))));
  }
  return view;
}
