/* global document */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Sets attributes (`text` sets the text content); undefined and null values are left out. */
function assign(node, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, String(value));
  }
  return node;
}

/** An HTML element with attributes and children (nodes or strings). */
export function h(tag, attributes = {}, children = []) {
  const node = assign(document.createElement(tag), attributes);
  node.append(...children);
  return node;
}

/** An SVG element with attributes and children. */
export function s(tag, attributes = {}, children = []) {
  const node = assign(document.createElementNS(SVG_NS, tag), attributes);
  node.append(...children);
  return node;
}

/** Sets an attribute only when it changed, so a steady page does not churn its DOM. */
export function setData(node, name, value) {
  const text = String(value);
  if (node.getAttribute(name) !== text) node.setAttribute(name, text);
}

export function setText(node, value) {
  const text = String(value);
  if (node.textContent !== text) node.textContent = text;
}
