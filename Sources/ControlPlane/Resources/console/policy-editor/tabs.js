// An accessible tab list (WAI-ARIA tabs pattern): buttons with role=tab, arrow keys move between
// them, each controls one panel; inactive panels are `hidden`.

import { h } from "./dom.js";

/** `tabs`: `[{ id, label, panel }]`; returns the tab list element. */
export function tabList(label, tabs, onSelect = () => {}) {
  const buttons = tabs.map((tab, index) => {
    const button = h("button", { type: "button", role: "tab", id: `${tab.id}-tab`, "aria-controls": tab.id, "aria-selected": String(index === 0),
      tabindex: index === 0 ? "0" : "-1", onclick: () => choose(index) }, tab.label);
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      const next = (index + step + tabs.length) % tabs.length;
      choose(next);
      buttons[next].focus();
    });
    tab.panel.id = tab.id;
    tab.panel.setAttribute("role", "tabpanel");
    tab.panel.setAttribute("aria-labelledby", button.id);
    tab.panel.hidden = index !== 0;
    return button;
  });
  function choose(chosen) {
    buttons.forEach((button, index) => {
      button.setAttribute("aria-selected", String(index === chosen));
      button.tabIndex = index === chosen ? 0 : -1;
      tabs[index].panel.hidden = index !== chosen;
    });
    onSelect(tabs[chosen].id);
  }
  return h("div", { role: "tablist", "aria-label": label, class: "pe-tabs" }, ...buttons);
}
