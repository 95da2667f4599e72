/* global document */
// A tiny element builder: text always goes in as text, so nothing from the API becomes markup.

/**
 * `h('a', { href: '/cart', class: 'button', onclick: handler }, 'Cart', badge)`: attributes by
 * name (skipped when null, undefined or false; `true` sets an empty one), `on*` functions as
 * listeners, children as nodes or text.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  element.append(...flatten(children));
  return element;
}

function flatten(children) {
  return children
    .flat(Infinity)
    .filter((child) => child !== undefined && child !== null && child !== false)
    .map((child) =>
      typeof child === 'string' || typeof child === 'number' ? String(child) : child,
    );
}
