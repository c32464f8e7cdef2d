// The policy's versions, newest first, each with who saved it and when, and its diff to the
// version before. Authors are members' ids in the API (`created_by`); `/v1/members`, which every
// role may read, gives their emails. A removed member's versions keep `created_by: null`.

import { h } from "./dom.js";
import { printPolicy } from "./canonical-json.js";
import { lineDiff } from "./line-diff.js";
import { listAll } from "./api-lists.js";

export async function versionHistory(api, policyId, { onRestore } = {}) {
  const section = h("section", { class: "pe-versions", "aria-labelledby": "pe-versions-title" }, h("h3", { id: "pe-versions-title" }, "Versions"));
  const [answer, members] = await Promise.all([
    api("GET", `/v1/policies/${policyId}/versions`),
    listAll(api, "/v1/members").catch(() => []),
  ]);
  const emails = new Map(members.map((m) => [m.id, m.email]));
  const versions = answer?.items ?? [];
  const list = h("ol", { class: "pe-version-list", reversed: true });
  versions.forEach((version, index) => {
    const previous = versions[index + 1];
    const author = version.created_by === null ? "a removed member" : emails.get(version.created_by) ?? version.created_by;
    const diffBox = h("div", { class: "pe-diff-box", hidden: true });
    const toggle = h("button", { type: "button", "aria-expanded": "false", onclick: () => {
      const open = diffBox.hidden;
      if (open && diffBox.childElementCount === 0) diffBox.append(diffView(previous, version));
      diffBox.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Hide changes" : (previous ? `Changes from version ${previous.version}` : "Show document");
    } }, previous ? `Changes from version ${previous.version}` : "Show document");
    const restore = onRestore && index > 0
      ? h("button", { type: "button", onclick: () => onRestore(version.document, version.version) }, "Load into the editor")
      : null;
    list.append(h("li", { class: "pe-version", "data-version": String(version.version) },
      h("span", { class: "pe-version-title" }, `Version ${version.version}`),
      ` by ${author}, `, h("time", { datetime: version.created_at }, formatTime(version.created_at)),
      " ", toggle, " ", restore, diffBox));
  });
  section.append(list);
  return section;
}

function diffView(previous, version) {
  const after = printPolicy(version.document).text;
  const lines = previous ? lineDiff(printPolicy(previous.document).text, after) : after.split("\n").map((text) => ({ kind: "same", text }));
  const marks = { same: "  ", added: "+ ", removed: "- " };
  return h("pre", { class: "pe-diff", "aria-label": previous ? `Changes from version ${previous.version} to ${version.version}` : `Version ${version.version}` },
    ...lines.map((line) => h("span", { class: "pe-diff-" + line.kind }, marks[line.kind] + line.text)));
}

function formatTime(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? String(text) : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
